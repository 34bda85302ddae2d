from brokeforge.packages.base import Milestones


class SystemInstallerMilestones(Milestones):
    WAIT_FOR_APT = "wait_for_apt", "Waiting for apt and dpkg to be free"
    UPDATE_PACKAGES = "update_packages", "Updating package lists"
    INSTALL_BASE_PACKAGES = (
        "install_base_packages",
        "Installing the base packages and the software provisioning sets up",
    )
    CONFIGURE_SWAP = "configure_swap", "Configuring swap"
    COMPLETE = "complete", "System prepared"
