from brokeforge.packages.base import Milestones


class SiteEnvInstallerMilestones(Milestones):
    WRITE = "write", "Putting the file in place as the site user (the version it replaces kept for undo)"
    COMPLETE = "complete", "Environment file in place"
