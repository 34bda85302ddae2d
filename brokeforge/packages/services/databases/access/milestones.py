from brokeforge.packages.base import Milestones


class DatabaseAccessInstallerMilestones(Milestones):
    LISTEN = "listen", "Changing where the database server listens (restarted and checked)"
    LOGINS = "logins", "Allowing the remote users' logins"
    FIREWALL = "firewall", "Opening the firewall to the allowed sources only"
    COMPLETE = "complete", "Remote access changed"
