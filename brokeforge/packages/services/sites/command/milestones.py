from brokeforge.packages.base import Milestones


class SiteCommandInstallerMilestones(Milestones):
    PREPARE_EXECUTION = "prepare_execution", "Preparing command execution"
    RUN_COMMAND = "run_command", "Running the command as the site user"
    COMPLETE = "complete", "Command execution complete"
