"""Hotspots (未诉先办): an hourly job finds clusters of similar appeals in one street and sudden rises in a
district, shows them on the dashboard, and lets a leader turn one into a governance task (每月一题) whose
progress is the drop in matching appeals afterwards. See docs/smart.md."""
