"""Streamlit-free code that only the pages import: the Train form's state (``train_form``), runs for the Train page
(``run_results``), the Draw page's softmax bars (``softmax_html``), the Upload page's example images (``examples``)
and the Analysis page's rows of numbers (``metrics``)."""
