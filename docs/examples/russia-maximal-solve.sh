negsim solve scenarios/russia-maximal.toml
