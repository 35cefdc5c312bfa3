"""Draw page (under construction)."""

import streamlit as st

st.title("Draw")
st.info("This page is being built.")
