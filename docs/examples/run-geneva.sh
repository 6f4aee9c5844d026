negsim run scenarios/geneva-2025-11.toml
