from brokeforge.packages.base import Milestones


class BrokeforgeUserInstallerMilestones(Milestones):
    AUTHORIZE_KEYS = "authorize_keys", "Authorising the panel's keys and the brokeforge user"
    COMPLETE = "complete", "brokeforge user ready"
