from brokeforge.packages.base import Milestones


class DeploymentInstallerMilestones(Milestones):
    CHECK_ACCESS = "check_access", "Checking access to the repository"
    BUILD_AND_ACTIVATE = "build_and_activate", "Building the release, then making it live"
    READ_LIVE_RELEASE = "read_live_release", "Reading which release is live"
    COMPLETE = "complete", "Deployment complete"


class RollbackInstallerMilestones(Milestones):
    ACTIVATE = "activate", "Making the release live again"
    READ_LIVE_RELEASE = "read_live_release", "Reading which release is live"
    COMPLETE = "complete", "Rollback complete"


class DeploymentPreviewMilestones(Milestones):
    CHECK_ACCESS = "check_access", "Checking access to the repository"
    FETCH = "fetch", "Fetching the branch and listing what would go out"
    COMPLETE = "complete", "Preview ready"
