"""The Solara dashboard for policy staff (``civicloop dashboard``), kept apart from the model.

``app.py`` is the page; ``i18n.py`` its message catalogue (中文 / English).
"""
