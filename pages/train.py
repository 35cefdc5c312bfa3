"""Train: launch a run (architecture, epochs, batch size, ...), watch it, cancel it; every run's history."""

import pandas as pd
import streamlit as st

from mnist_core import architectures, figures, jobs, registry, training

PRESETS = architectures.PRESETS
S = st.session_state


def use_preset_defaults() -> None:
    d = PRESETS[S.train_preset].defaults
    S.update(train_epochs=d["epochs"], train_batch=d["batch_size"], train_lr=d["lr"], train_val=d["val_split"], train_aug=d["augment"])
    S.train_name = registry.suggest_name(S.train_preset)


def form_config() -> training.TrainConfig:
    limit = None if S.train_all else S.train_limit
    return training.TrainConfig(
        preset=S.train_preset, epochs=S.train_epochs, batch_size=S.train_batch, lr=S.train_lr, augment=S.train_aug,
        val_split=S.train_val, limit=limit, name=S.train_name.strip(),
    )  # fmt: skip


def start_run() -> None:
    busy = jobs.current() is not None or bool(jobs.queue())
    try:
        run = jobs.start(form_config())
    except training.ConfigError as exc:
        S.train_flash = ("error", str(exc))
        return
    S.train_flash = (
        "success",
        f"**{run.name}** is queued; it starts when the runs before it end." if busy else f"Training **{run.name}** ...",
    )
    S.train_name = registry.suggest_name(S.train_preset)


if "train_preset" not in S:
    S.train_preset, S.train_all = "studio", True
    use_preset_defaults()

st.title("Train")
st.caption(
    "Training runs in its own process: reload, switch pages or open another tab, and it goes on. One run at a time; more wait in a queue."
)

with st.container(border=True):
    left, right = st.columns(2)
    slots = {}
    preset = left.selectbox("Architecture", list(PRESETS), key="train_preset", on_change=use_preset_defaults)
    left.caption(f"{PRESETS[preset].description} **{jobs.parameter_count(preset):,} parameters.**")
    left.number_input("Epochs", key="train_epochs", step=1)
    slots["epochs"] = left.empty()
    left.number_input("Batch size", key="train_batch", step=16)
    slots["batch_size"] = left.empty()
    left.number_input("Learning rate", key="train_lr", step=1e-4, format="%.4f")
    slots["lr"] = left.empty()
    right.toggle("Train on all 60,000 images", key="train_all")
    if not S.train_all:
        S.setdefault("train_limit", 5000)
        right.number_input("Training images (the first N)", key="train_limit", step=1000)
    slots["limit"] = right.empty()
    right.number_input("Validation split (share held out of the training images)", key="train_val", step=0.05, format="%.2f")
    slots["val_split"] = right.empty()
    right.toggle("Augmentation (rotation, zoom, shift, stroke width)", key="train_aug")
    right.text_input("New model's name", key="train_name", max_chars=64)
    slots["name"] = right.empty()
    errors = jobs.config_errors(form_config())
    for name, message in errors.items():
        slots.get(name, st).error(message, icon=":material/error:")
    st.button("Start training", type="primary", icon=":material/play_arrow:", disabled=bool(errors), on_click=start_run)
    if "train_flash" in S:
        kind, text = S.pop("train_flash")
        getattr(st, kind)(text)


def live_run(run: jobs.Run) -> None:
    p = jobs.progress(run)
    c = run.config
    st.subheader(f"Training {run.name}")
    st.caption(f"{c['preset']} · {c['epochs']} epochs · batch {c['batch_size']} · lr {c['lr']:g} · {c.get('limit') or 60000:,} images")
    st.progress(p.fraction, text=p.describe())
    cols = st.columns(4)
    cols[0].metric("Epoch", f"{p.epoch} / {p.epochs}" if p.epochs else "-")
    cols[1].metric("Samples / s", f"{p.samples_per_sec:,.0f}" if p.samples_per_sec else "-")
    cols[2].metric("Batch loss", f"{p.batch_loss:.4f}" if p.batch_loss is not None else "-")
    cols[3].metric("Batch accuracy", f"{p.batch_accuracy:.2%}" if p.batch_accuracy is not None else "-")
    charts = figures.curve_charts(p.history, height=220)
    chart_cols = st.columns(3)
    for col, metric in zip(chart_cols, ("loss", "accuracy"), strict=False):
        if metric in charts:
            col.altair_chart(charts[metric], width="stretch")
        else:
            col.caption(f"The {metric} per epoch appears after the first epoch.")
    if p.batch_losses:
        chart_cols[2].markdown("**Running batch loss**")
        chart_cols[2].line_chart(pd.DataFrame(p.batch_losses), x="step", y="loss", height=200)
    if run.cancel_requested:
        st.info("Cancelling ...", icon=":material/hourglass_top:")
    elif st.button("Cancel this run", icon=":material/stop:"):
        jobs.cancel(run.id)
        st.rerun(scope="fragment")


def queue_list(queued: list[jobs.Run]) -> None:
    st.markdown(f"**Queue** ({len(queued)} waiting)")
    for i, run in enumerate(queued):
        text, up, down, remove = st.columns([8, 1, 1, 1], vertical_alignment="center")
        text.write(
            f"{i + 1}. **{run.name}** · {run.config['preset']} · {run.config['epochs']} epochs · {run.config.get('limit') or 60000:,} images"
        )
        if up.button("", icon=":material/arrow_upward:", key=f"up-{run.id}", disabled=i == 0, help="Earlier"):
            jobs.move(run.id, -1)
            st.rerun(scope="fragment")
        if down.button("", icon=":material/arrow_downward:", key=f"down-{run.id}", disabled=i == len(queued) - 1, help="Later"):
            jobs.move(run.id, +1)
            st.rerun(scope="fragment")
        if remove.button("", icon=":material/close:", key=f"rm-{run.id}", help="Remove from the queue"):
            jobs.cancel(run.id)
            st.rerun(scope="fragment")


def watch() -> None:
    runs = jobs.refresh()
    running, queued = next((r for r in runs if r.state == jobs.RUNNING), None), jobs.queue()
    seen = (running.id if running else None, tuple(r.id for r in queued), sum(r.state in jobs.TERMINAL for r in runs))
    if S.setdefault("train_seen", seen) != seen:  # a run started or ended: redraw the page (history, sidebar picker)
        S.train_seen = seen
        st.rerun(scope="app")
    if running:
        with st.container(border=True):
            live_run(running)
    if queued:
        queue_list(queued)


busy = jobs.current() is not None or bool(jobs.queue())
st.fragment(run_every=1.0 if busy else 3.0)(watch)()

runs = jobs.list_runs()
last = next((r for r in runs if r.state in jobs.TERMINAL), None)
if last is not None and last.state == jobs.SUCCEEDED:
    st.success(f"**{last.name}** is registered: test accuracy {last.test_accuracy:.2%}.", icon=":material/check_circle:")
    comparison = jobs.compare_with_active(last.name)
    if comparison:
        a, b = st.columns(2)
        a.metric(f"Active model: {comparison.active_name}", f"{comparison.accuracy_active:.2%}")
        b.metric(f"New: {last.name}", f"{comparison.accuracy_new:.2%}", f"{comparison.accuracy_delta * 100:+.2f} points")
        deltas = pd.DataFrame(comparison.per_class).set_index("digit") * 100
        deltas.columns = ["Recall, active (%)", "Recall, new (%)", "Change (points)"]
        st.dataframe(deltas.T, column_config={d: st.column_config.NumberColumn(str(d), format="%.1f") for d in range(10)})
        if st.button(f"Make {last.name} the active model", type="primary", icon=":material/star:"):
            registry.set_active(last.name)
            st.rerun()
    elif any(m.name == last.name and m.active for m in registry.list_models()):
        st.caption(f"{last.name} is the active model.")
elif last is not None:
    st.error(f"The last run ({last.name}) was **{last.state}**: {last.reason}", icon=":material/error:")
    if last.state != jobs.CANCELLED:
        with st.expander("The last lines of its output"):
            st.code(last.log_tail(), language="text")

st.subheader("History")
if not runs:
    st.caption("No runs yet.")
else:
    st.dataframe(
        pd.DataFrame(jobs.history_rows(runs)),
        hide_index=True,
        column_config={
            "test accuracy": st.column_config.NumberColumn(format="percent"),
            "learning rate": st.column_config.NumberColumn(format="%g"),
            "reason": st.column_config.TextColumn(width="large"),
        },
    )
