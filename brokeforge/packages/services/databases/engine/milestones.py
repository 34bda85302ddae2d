from brokeforge.packages.base import Milestones


class DatabaseEngineInstallerMilestones(Milestones):
    INSTALL_PACKAGES = "install_packages", "Installing the database server"
    START_SERVICE = "start_service", "Starting it"
    VERIFY = "verify", "Checking it answers"
    RECORD = "record", "Recording its version, character sets and collations"
    IMPORT = "import", "Importing the databases and users already there"
    COMPLETE = "complete", "Database server installed"


class DatabaseEngineRemoverMilestones(Milestones):
    STOP_SERVICE = "stop_service", "Stopping the database server"
    REMOVE_PACKAGES = "remove_packages", "Removing its packages (the data directory stays)"
    RECORD = "record", "Forgetting its databases and users"
    COMPLETE = "complete", "Database server removed"


class DatabaseSyncMilestones(Milestones):
    READ = "read", "Reading the databases and users on the server"
    COMPLETE = "complete", "Databases and users imported"
