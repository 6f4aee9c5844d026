negsim compare scenarios/istanbul-2022.toml scenarios/russia-maximal.toml scenarios/us-28-point-2025-11.toml scenarios/geneva-2025-11.toml scenarios/e3-counter-2025-11.toml --seed 9
