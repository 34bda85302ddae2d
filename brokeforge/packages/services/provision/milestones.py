from brokeforge.packages.base import Milestones


class ProvisionInstallerMilestones(Milestones):
    CONNECT = "connect", "Connecting to the server"
    PREPARE_SYSTEM = "prepare_system", "Preparing the system"
    BROKEFORGE_USER = "brokeforge_user", "Setting up the brokeforge user"
    FIREWALL = "firewall", "Installing the firewall"
    FIREWALL_RULES = "firewall_rules", "Opening SSH, HTTP and HTTPS"
    PHP = "php", "Installing PHP"
    NGINX = "nginx", "Installing Nginx"
    COMPLETE = "complete", "Server provisioned"
