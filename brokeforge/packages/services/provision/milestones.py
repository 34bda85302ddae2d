from brokeforge.lib.enums import ProvisionStep
from brokeforge.packages.base import Milestones

# The provisioning steps are defined once, as ProvisionStep (the server's record of each step's
# status uses them); the milestones are those steps, in order, and a last one when all are done.
ProvisionInstallerMilestones: type[Milestones] = Milestones(  # type: ignore[call-overload]
    "ProvisionInstallerMilestones",
    [
        *[(step.name, (step.name.lower(), step.label)) for step in ProvisionStep],
        ("COMPLETE", ("complete", "Server provisioned")),
    ],
)
