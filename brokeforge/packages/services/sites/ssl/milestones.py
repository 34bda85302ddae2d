from brokeforge.packages.base import Milestones


class SslInstallerMilestones(Milestones):
    PREPARE = "prepare", "Preparing certbot and its renewals (ACME)"
    CONFIGURE_CHALLENGE = "configure_challenge", "Serving ACME challenges from the site's vhost"
    OBTAIN = "obtain", "Obtaining the certificate"
    READ = "read", "Reading the certificate on the server"
    SERVE = "serve", "Serving the certificate on port 443"
    VERIFY = "verify", "Checking what port 443 serves"
    COMPLETE = "complete", "Certificate in service"


class SslRenewerMilestones(Milestones):
    PREPARE = "prepare", "Preparing certbot and its renewals"
    RENEW = "renew", "Renewing the certificate"
    VERIFY = "verify", "Checking what port 443 serves"
    COMPLETE = "complete", "Certificate renewed"


class SslRefresherMilestones(Milestones):
    READ = "read", "Reading the certificate and what port 443 serves"
    COMPLETE = "complete", "Certificate checked"


class SslRemoverMilestones(Milestones):
    CONFIGURE_NGINX = "configure_nginx", "Returning the site to plain HTTP"
    REMOVE_FILES = "remove_files", "Removing the certificate's files"
    VERIFY = "verify", "Checking the site answers"
    COMPLETE = "complete", "Certificate removed"
