# sip/: see DESIGN.md
