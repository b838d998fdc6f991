# xlate/: see DESIGN.md
