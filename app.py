"""MNIST Studio: start-up, page config, navigation over app_pages/, and the sidebar model picker."""

from pathlib import Path

import streamlit as st

from app_pages.common import model_sidebar, resume_training_queue, start_loading_model
from app_pages.startup import first_page_sent  # Keras loads in the background from the first run on, see there

ICON = Path(__file__).parent / "app_pages" / "assets" / "icon.png"

st.set_page_config(page_title="MNIST Studio", page_icon=str(ICON), layout="wide")  # a file: a :material/ icon is fetched from the web

navigation = st.navigation(
    [
        st.Page("app_pages/draw.py", title="Draw", icon=":material/draw:", default=True),
        st.Page("app_pages/upload.py", title="Upload", icon=":material/upload_file:"),
        st.Page("app_pages/train.py", title="Train", icon=":material/model_training:"),
        st.Page("app_pages/analysis.py", title="Analysis", icon=":material/analytics:"),
        st.Page("app_pages/samples.py", title="My samples", icon=":material/bookmarks:"),
    ]
)
resume_training_queue()
model_sidebar()
start_loading_model()
try:
    navigation.run()
finally:  # also when the page stops or reruns itself
    first_page_sent()
