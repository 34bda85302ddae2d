from brokeforge.packages.base import Milestones


class DatabaseUserInstallerMilestones(Milestones):
    APPLY = "apply", "Setting the user's password and grants"
    COMPLETE = "complete", "Database user ready"


class DatabaseUserRemoverMilestones(Milestones):
    DROP = "drop", "Deleting the user"
    COMPLETE = "complete", "Database user deleted"
