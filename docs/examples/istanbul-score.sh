negsim score scenarios/istanbul-2022.toml scenarios/records/istanbul-2022.toml
