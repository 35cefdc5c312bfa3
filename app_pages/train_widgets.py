"""The Train page's run panels: the live run with its progress and curves, and the queue with its buttons."""

from __future__ import annotations

import streamlit as st

from mnist_core import figures, runs


@st.cache_data(max_entries=16, show_spinner=False)
def curve_specs(history: dict) -> dict:
    """Vega-Lite specs of the epoch curves: built (and validated) once per new epoch, not on every poll."""
    return {metric: chart.to_dict() for metric, chart in figures.curve_charts(history, height=220).items()}


def live_run(run: runs.Run) -> None:
    p = runs.progress(run)
    st.subheader(f"Training {run.name}")
    st.caption(run.summary())
    st.progress(p.fraction, text=p.describe())
    for col, (label, value, sparkline) in zip(st.columns(4), p.metrics(), strict=True):
        col.metric(label, value, chart_data=sparkline, border=True)
    charts = curve_specs(p.history)
    for col, metric in zip(st.columns(2), ("loss", "accuracy"), strict=True):
        if metric in charts:
            col.vega_lite_chart(charts[metric], width="stretch")
        else:
            col.caption(f"The {metric} per epoch shows after epoch 1.")
    if run.cancel_requested:
        st.info("Cancelling ...", icon=":material/hourglass_top:")
    else:
        st.button("Cancel this run", icon=":material/stop:", on_click=runs.cancel, args=(run.id,))


def queue_list(queued: list[runs.Run]) -> None:
    st.markdown(f"**Queue** ({len(queued)} waiting)")
    for i, run in enumerate(queued):
        text, *buttons = st.columns([10, 1, 1, 1], vertical_alignment="center")
        text.write(f"{i + 1}. **{run.name}** · {run.summary()}")
        for col, icon, hint, action, args, off in [
            (buttons[0], "arrow_upward", "Earlier", runs.move, (run.id, -1), i == 0),
            (buttons[1], "arrow_downward", "Later", runs.move, (run.id, +1), i == len(queued) - 1),
            (buttons[2], "close", "Remove from the queue", runs.cancel, (run.id,), False),
        ]:
            col.button("", icon=f":material/{icon}:", key=f"{icon}-{run.id}", help=hint, disabled=off, on_click=action, args=args)
