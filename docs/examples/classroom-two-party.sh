negsim solve scenarios/classroom-two-party.toml
negsim run scenarios/classroom-two-party.toml --no-figures
