from brokeforge.packages.base import Milestones


class ConnectionInstallerMilestones(Milestones):
    CONNECT = "connect", "Connecting as root and pinning the host key"
    DETECT_OS = "detect_os", "Detecting the operating system"
    CHECK_BROKEFORGE_USER = "check_brokeforge_user", "Checking the brokeforge user and its sudo"
    COMPLETE = "complete", "Connection verified"
