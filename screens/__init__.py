"""One Textual screen per documented step, and the widgets they share.

`STYLESHEET` is the wizard's .tcss, found beside this package (the App loads it as its CSS_PATH).
"""

from pathlib import Path

STYLESHEET = Path(__file__).with_name("wizard.tcss")
