from brokeforge.packages.base import Milestones


class BrokeforgeUserInstallerMilestones(Milestones):
    AUTHORIZE_KEYS = "authorize_keys", "Authorising the panel's keys and the brokeforge user"
    CHECK_SUDO = "check_sudo", "Checking the brokeforge user acts as site users, never as root"
    COMPLETE = "complete", "brokeforge user ready"
