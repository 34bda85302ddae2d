"""The panel's pages, one module per area (servers, jobs, sites, firewall, auth)."""
