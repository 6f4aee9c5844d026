negsim run scenarios/geneva-2025-11.toml --protocol zeuthen --seed 3 --no-figures --no-forecast > zeuthen.txt
head -4 zeuthen.txt
