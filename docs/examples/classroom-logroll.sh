negsim solve scenarios/classroom-logroll.toml
negsim run scenarios/classroom-logroll.toml --no-figures
