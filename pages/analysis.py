"""Analysis page (under construction)."""

import streamlit as st

st.title("Analysis")
st.info("This page is being built.")
