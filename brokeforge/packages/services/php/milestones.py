from brokeforge.packages.base import Milestones


class PhpInstallerMilestones(Milestones):
    INSTALL_PHP = "install_php", "Installing PHP with FPM, CLI and common extensions"
    START_FPM = "start_fpm", "Starting PHP-FPM"
    VERIFY = "verify", "Checking PHP-FPM is running"
    COMPLETE = "complete", "PHP installed"
