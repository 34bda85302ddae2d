from brokeforge.packages.base import Milestones


class DatabaseBackupInstallerMilestones(Milestones):
    DUMP = "dump", "Dumping and compressing the database on the server"
    COPY = "copy", "Copying the backup into the panel and checking it"
    ROTATE = "rotate", "Removing the backups past the number kept"
    COMPLETE = "complete", "Backup taken"


class DatabaseRestoreInstallerMilestones(Milestones):
    CHECK = "check", "Checking the backup file on the server"
    CREATE = "create", "Creating the database to restore into"
    RESTORE = "restore", "Restoring"
    COMPLETE = "complete", "Backup restored"
