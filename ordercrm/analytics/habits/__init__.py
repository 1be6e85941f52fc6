"""Purchase habits and market demand, computed from the sales orders (no tables of their own).

- ``rhythm``: each customer's own ordering rhythm (median days between orders and its spread),
  the next expected order, due / lapsing / lapsed by that rhythm, and the sentence that says
  why (pure, no database).
- ``rfm``: recency / frequency / monetary scores and segments (scores come from SQL NTILE).
- ``queries``: the SQL (window functions, SQLite and PostgreSQL) over the orders the viewer
  may see, and the pairs of products bought together.
- ``baskets``: support / confidence / lift of product pairs and suggestions for an order.
- ``clv``: BG/NBD and Gamma-Gamma on scipy, fitted by maximum likelihood; lifetime value with a
  simulated band.
- ``demand``: monthly demand per product and category, exponential-smoothing forecasts with
  their interval (statsmodels), a backtest on held-out months, stock cover and reorder
  suggestions.
- ``selectors``: what the pages read, scoped by ``request.access`` and cached.
"""
