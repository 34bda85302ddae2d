from brokeforge.packages.base import Milestones


class NginxInstallerMilestones(Milestones):
    INSTALL_SOFTWARE = "install_software", "Installing Nginx"
    CONFIGURE_DEFAULT_SITE = "configure_default_site", "Configuring the default site"
    TEST_CONFIGURATION = "test_configuration", "Testing the Nginx configuration"
    START_SERVICE = "start_service", "Starting Nginx"
    VERIFY = "verify", "Checking Nginx is running and serving"
    COMPLETE = "complete", "Nginx installed"
