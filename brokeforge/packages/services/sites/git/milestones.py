from brokeforge.packages.base import Milestones


class GitRepositoryInstallerMilestones(Milestones):
    WRITE_DEPLOY_KEY = "write_deploy_key", "Writing the site's deploy key"
    PIN_HOST_KEY = "pin_host_key", "Checking the git host's key against its pin"
    CHECK_ACCESS = "check_access", "Checking the site can fetch the repository"
    COMPLETE = "complete", "Repository set"
