"""The multicommodity capacitated fixed-charge network design benchmark (Canad ``.dow``).

Research code beside the product: the same lane model without the trade specifics, solved
on the same OR-Tools adapter (:mod:`optimizer.solve.backend`), so the core is measured
against published optima. ``model`` reads instances and solves them exactly, ``paths`` holds
the path-form strong LP, ``search`` the heuristic for the 200-commodity instances.
"""
