from brokeforge.packages.base import Milestones


class DatabaseInstallerMilestones(Milestones):
    CREATE = "create", "Creating the database"
    COMPLETE = "complete", "Database created"


class DatabaseRemoverMilestones(Milestones):
    DROP = "drop", "Dropping the database"
    COMPLETE = "complete", "Database dropped"
