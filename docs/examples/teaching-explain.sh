negsim explain scenarios/geneva-2025-11.toml --seed 3 --runs 50 --no-figures --out explain | head -8
