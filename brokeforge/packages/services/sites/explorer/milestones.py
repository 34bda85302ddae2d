from brokeforge.packages.base import Milestones


class SiteFileExplorerMilestones(Milestones):
    WRITE_FILE = "write_file", "Writing the file as the site user"
    COMPLETE = "complete", "File saved"
