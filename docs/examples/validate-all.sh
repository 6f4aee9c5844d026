negsim validate scenarios/*.toml
