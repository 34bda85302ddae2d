from brokeforge.packages.base import Milestones


class SiteInstallerMilestones(Milestones):
    CREATE_USER = "create_user", "Creating the site's Linux user"
    CREATE_DIRECTORIES = "create_directories", "Creating the site's directories"
    CONFIGURE_PHP = "configure_php", "Configuring the site's PHP-FPM pool (PHP sites)"
    CONFIGURE_NGINX = "configure_nginx", "Configuring Nginx for the site"
    VERIFY = "verify", "Checking the site answers"
    COMPLETE = "complete", "Site ready"


class SiteRemoverMilestones(Milestones):
    REMOVE_NGINX = "remove_nginx", "Removing the site from Nginx"
    REMOVE_PHP = "remove_php", "Removing the site's PHP-FPM pool (PHP sites)"
    REMOVE_USER = "remove_user", "Removing the site's user and files"
    COMPLETE = "complete", "Site removed"


class SiteUpdaterMilestones(Milestones):
    CHECK_NAMES = "check_names", "Checking the site's names are free on the server"
    CONFIGURE_PHP = "configure_php", "Regenerating the site's PHP-FPM pool (PHP sites)"
    CONFIGURE_NGINX = "configure_nginx", "Regenerating the site's Nginx vhost"
    REMOVE_OLD_POOL = "remove_old_pool", "Removing the pool of the previous PHP version (a version change)"
    VERIFY = "verify", "Checking the site answers"
    COMPLETE = "complete", "Site settings updated"
