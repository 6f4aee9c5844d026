sed 's/^patience = { low = 0.95, high = 0.99, value = 0.97 }/patience = 1.5/' scenarios/geneva-2025-11.toml > mine.toml   # Russia's patience: 1.5
negsim validate mine.toml
