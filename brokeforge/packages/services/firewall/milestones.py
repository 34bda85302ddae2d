from brokeforge.packages.base import Milestones


class FirewallInstallerMilestones(Milestones):
    INSTALL_UFW = "install_ufw", "Installing ufw"
    ALLOW_SSH = "allow_ssh", "Allowing the SSH port before anything is blocked"
    ENABLE_FIREWALL = "enable_firewall", "Enabling the firewall"
    VERIFY = "verify", "Checking the firewall is active"
    COMPLETE = "complete", "Firewall installed"


class FirewallRuleInstallerMilestones(Milestones):
    APPLY_RULE = "apply_rule", "Applying the rule"
    RECORD_RULES = "record_rules", "Reading the active rules back"
    COMPLETE = "complete", "Rule applied"


class FirewallRuleRemoverMilestones(Milestones):
    REMOVE_RULE = "remove_rule", "Deleting the rule"
    RECORD_RULES = "record_rules", "Reading the active rules back"
    COMPLETE = "complete", "Rule deleted"
