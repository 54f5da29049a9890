"""Two-terminal Landauer conductance of a cooperon device.

G = Tr[Gamma_R G^r_RL Gamma_L G^a_LR] [e^2/h; per spin for a spinless device, both
spins for a spinful one (``device.norbs == 2``)], with the retarded
Green's function of the scattering region G^r = (E - H - Sigma_L - Sigma_R)^-1
and Gamma = i (Sigma - Sigma^dagger) (Fisher-Lee / Caroli formula; equal to
``kwant.smatrix(...).transmission(1, 0)``, tested to 1e-10).

Two exact solvers:

- Rectangular devices (films, wires, slabs): recursive Green's function over
  the columns x = 0..L-1. In cooperon's gauge only x-bonds carry a Peierls
  phase, so the coupling between columns is diagonal and the cost per column
  is one dense inversion and one product of size W N_z, batched over all
  fields of a disorder realization (numpy stacks).
- Any device (rings): one sparse LU factorization of E - H - Sigma per
  field and realization (SuperLU), with the lead columns as right-hand sides.
  Spinful devices (two orbitals per site, spin-orbit hoppings that are not
  diagonal between columns) take this route too, with the Green's function
  among the lead interfaces from a MUMPS Schur complement (below).

With Buttiker dephasing probes (any device) the Green's function is needed
among all terminal sites (lead interfaces and probes): it is the inverse of
the Schur complement of E - H - Sigma on those sites, from one MUMPS
factorization (the MUMPS bundled with python-mumps, which Kwant also uses).

Lead self-energies come from Kwant (``InfiniteSystem.selfenergy``) and are
computed once per energy (and per field only if the field extends into the
leads), then reused across realizations and fields.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

__all__ = ["Solver"]


class Solver:
    """Conductance engine for one device; caches lead self-energies.

    Parameters
    ----------
    device : devices.Device
    method : {"auto", "rgf", "sparse"}
        "auto" uses the recursive Green's function for films and wires and
        the sparse LU solver otherwise.
    """

    def __init__(self, device, method: str = "auto"):
        if method not in ("auto", "rgf", "sparse"):
            raise ValueError(f"method must be 'auto', 'rgf' or 'sparse', got {method!r}")
        rect = device.kind in ("film", "wire") and device.norbs == 1
        if method == "rgf" and not rect:
            raise ValueError(
                f"the RGF solver needs a spinless film or wire, not a "
                f"{'spinful ' if device.norbs == 2 else ''}{device.kind}; use method='sparse'"
            )
        self.device = device
        self.method = "rgf" if (method == "auto" and rect) or method == "rgf" else "sparse"
        self._sigma = {}
        sys_ = device.system
        self.norbs = device.norbs
        self._iface = [_orbitals(sys_.lead_interfaces[i], self.norbs) for i in range(2)]
        if self.method == "rgf":
            self._setup_rgf()

    # -- lead self-energies -----------------------------------------------------

    def _lead_key(self, energy, params):
        if self.device.field_in_leads:
            return (energy, params["phi_perp"], params["phi_par"])
        return (energy,)

    def selfenergies(self, energy: float, params: dict):
        """(Sigma_L, Sigma_R) on the lead-interface sites [t], cached."""
        key = self._lead_key(energy, params)
        out = self._sigma.get(key)
        if out is None:
            leads = self.device.system.leads
            s_l = np.asarray(leads[0].selfenergy(energy, params=params), dtype=complex)
            if self.method == "rgf":
                # The right lead is the left one reversed: same real cell Hamiltonian (only
                # x-bonds carry phases in cooperon's gauge), hopping V -> V^dagger = V^*.
                # So it is the complex conjugate lead, and Sigma_R = (Sigma_L^a)^* =
                # Sigma_L^T, on interface sites in the same (y, z) order (tested).
                s_r = s_l.T.copy()
            else:
                s_r = np.asarray(leads[1].selfenergy(energy, params=params), dtype=complex)
            out = (s_l, s_r)
            self._sigma[key] = out
        return out

    def lead_key(self, energy: float, params: dict):
        """Cache key of the lead self-energies: energy, and the field if it enters the leads."""
        return self._lead_key(energy, params)

    def store_selfenergies(self, key, value) -> None:
        """Store (Sigma_L, Sigma_R) computed elsewhere (e.g. by a worker) under ``key``.

        ``key`` is :meth:`lead_key` of the energy and parameters they belong to.
        """
        s_l, s_r = value
        self._sigma[key] = (np.asarray(s_l, dtype=complex), np.asarray(s_r, dtype=complex))

    # -- RGF -------------------------------------------------------------------------

    def _setup_rgf(self):
        g = self.device.geometry
        w, nz, length = g.width, g.thickness, g.length
        self._shape = (length, w, nz)
        m = w * nz
        y, z = np.divmod(np.arange(m), nz)
        self._yz = (y, z)
        t0 = np.zeros((m, m))
        idx = np.arange(m)
        # transverse hoppings: -t for (y, z) - (y+1, z), -t_z for (y, z) - (y, z+1)
        ny = idx[y < w - 1]
        t0[ny, ny + nz] = t0[ny + nz, ny] = -1.0
        nzz = idx[z < nz - 1]
        t0[nzz, nzz + 1] = t0[nzz + 1, nzz] = -g.interlayer
        self._t0 = t0
        xs = np.arange(length)
        tags = np.empty((length, m, 2 if nz == 1 else 3), dtype=np.int64)
        tags[..., 0] = xs[:, None]
        tags[..., 1] = y[None, :]
        if nz > 1:
            tags[..., 2] = z[None, :]
        self._tags = tags.reshape(-1, tags.shape[-1])
        # map lead interfaces (system site indices) to column positions
        sys_tags = self.device.tags
        self._iface_cross = []
        for i, col in ((0, 0), (1, length - 1)):
            t = sys_tags[self._iface[i]]
            if not np.all(t[:, 0] == col):
                raise RuntimeError("lead interface is not the end column")  # pragma: no cover
            cross = t[:, 1] * nz + (t[:, 2] if nz > 1 else 0)
            self._iface_cross.append(cross)

    def _column_sigma(self, sigma, i):
        # both self-energies are in the left lead's interface order (see selfenergies)
        m = self._t0.shape[0]
        out = np.zeros((m, m), dtype=complex)
        c = self._iface_cross[0]
        out[np.ix_(c, c)] = sigma
        return out

    def _rgf(self, energy, params_list, onsite_extra=None):
        dev = self.device
        length, w, nz = self._shape
        m = w * nz
        p0 = params_list[0]
        from devices import disorder as _dis

        dis = _dis.box(self._tags, p0["seed"], p0["disorder"]).reshape(length, m)
        diag = dev.onsite_base() + dis
        diag = diag.astype(complex) - 1j * p0.get("eta", 0.0)
        if onsite_extra is not None:
            diag = diag + onsite_extra
        y, z = self._yz
        y0, z0 = dev.gauge_origin
        k = len(params_list)
        phi_perp = np.array([p["phi_perp"] for p in params_list])[:, None]
        phi_par = np.array([p["phi_par"] for p in params_list])[:, None]
        theta = -2 * np.pi * phi_perp * (y - y0)[None, :] + 2 * np.pi * phi_par * (z - z0)[None, :]
        v = -np.exp(1j * theta)  # H[x+1, x] = diag(v), shape (k, m)
        sig_l = np.empty((k, m, m), complex)
        sig_r = np.empty((k, m, m), complex)
        for j, p in enumerate(params_list):
            s_l, s_r = self.selfenergies(energy, p)
            sig_l[j] = self._column_sigma(s_l, 0)
            sig_r[j] = self._column_sigma(s_r, 1)
        base = energy * np.eye(m) - self._t0
        a = base[None] - sig_l - np.einsum("i,ij->ij", diag[0], np.eye(m))[None]
        if length == 1:
            a = a - sig_r
        g = np.linalg.inv(a)
        gx0 = g
        vc = v.conj()
        for x in range(1, length):
            a = base - np.diag(diag[x])
            a = a[None] - v[:, :, None] * g * vc[:, None, :]
            if x == length - 1:
                a = a - sig_r
            g = np.linalg.inv(a)
            gx0 = g @ (v[:, :, None] * gx0)
        gam_l = 1j * (sig_l - np.conj(np.swapaxes(sig_l, 1, 2)))
        gam_r = 1j * (sig_r - np.conj(np.swapaxes(sig_r, 1, 2)))
        t = np.einsum("kij,kjl,klm,kim->k", gam_r, gx0, gam_l, gx0.conj(), optimize=True)
        return t.real

    # -- sparse ------------------------------------------------------------------------

    def _sparse(self, energy, params, onsite_extra=None):
        dev = self.device
        h = dev.hamiltonian(params)
        if onsite_extra is not None:
            h = h + sp.diags(np.repeat(onsite_extra, self.norbs))
        n = h.shape[0]
        s_l, s_r = self.selfenergies(energy, params)
        il, ir = self._iface
        a = self.open_matrix(energy, h, s_l, s_r)
        if self.norbs == 1:
            lu = spla.splu(a.tocsc(), permc_spec="COLAMD")
            rhs = np.zeros((n, len(il)), complex)
            rhs[il, np.arange(len(il))] = 1
            g_rl = lu.solve(rhs)[ir]
        else:  # nested dissection (MUMPS) scales far better than COLAMD on 2D spinful films
            terminals = np.concatenate([il, ir])
            order = np.argsort(terminals)
            g_s, _ = _terminal_green(a, terminals[order])
            pos = np.empty(len(terminals), int)
            pos[order] = np.arange(len(terminals))
            g_rl = g_s[np.ix_(pos[len(il) :], pos[: len(il)])]
        gam_l = 1j * (s_l - s_l.conj().T)
        gam_r = 1j * (s_r - s_r.conj().T)
        return _trace_product(gam_r, g_rl, gam_l)

    def open_matrix(self, energy, h, s_l, s_r, probes=(), eta=0.0):
        """E - H - Sigma [t] (COO): lead self-energies on the interfaces, -i eta on probes."""
        il, ir = self._iface
        probes = np.asarray(probes, dtype=np.int64)
        n = h.shape[0]
        rows = np.concatenate([np.repeat(il, len(il)), np.repeat(ir, len(ir)), probes])
        cols = np.concatenate([np.tile(il, len(il)), np.tile(ir, len(ir)), probes])
        vals = np.concatenate([s_l.ravel(), s_r.ravel(), np.full(len(probes), -1j * eta)])
        sig = sp.coo_matrix((vals, (rows, cols)), shape=(n, n))
        return (energy * sp.identity(n, format="coo") - h - sig).tocoo()

    # -- Buttiker probes ---------------------------------------------------------------

    def buttiker(self, energy: float, params: dict, details: bool = False, probes=None):
        """Two-terminal conductance with Buttiker dephasing probes [e^2/h per spin].

        Each probe p is a wide-band single-channel lead on one site
        (self-energy -i eta, Gamma_p = 2 eta) whose voltage V_p makes its net
        current vanish. With T_ij = Tr[Gamma_i G Gamma_j G^dagger] (from j to
        i), V_L = 1 and V_R = 0:

            sum_{j != p} T_jp V_p - sum_{q != p} T_pq V_q = T_pL   (I_p = 0)
            G = T_RL + sum_p T_Rp V_p.

        Only the Green's function among the terminal sites S (both lead
        interfaces and the probe sites) enters. It is the inverse of the
        Schur complement of E - H - Sigma on S, which MUMPS computes in one
        sparse factorization (nested-dissection ordering); then a dense
        n_S x n_S inversion (n_S terminal sites) and a dense N_p x N_p system
        (:func:`probe_conductance`). On a 60 x 60 x 12 slab with 215 probes
        this takes ~5 s per field, against ~50 s for SuperLU with every
        terminal as a right-hand side (``benchmarks/run.py --probes``).

        ``probes``: site indices that replace the placement drawn from
        ``params['seed']`` (a fixed probe configuration under varying
        disorder, as the validation's network test uses); default: the
        device's placement.
        """
        dev = self.device
        eta = params["probe_eta"]
        h = dev.hamiltonian(params)
        n = len(dev.tags)
        if probes is None:
            probes = dev.probe_sites(params)
        else:
            probes = np.asarray(probes)
            if (
                probes.ndim != 1
                or probes.dtype.kind not in "iu"
                or len(np.unique(probes)) != len(probes)
            ):
                raise ValueError(
                    "probes must be distinct integer site indices (Device.probe_sites)"
                )
            if len(probes) and (probes.min() < 0 or probes.max() >= n):
                raise ValueError(
                    f"probes must index the device's {n} sites, got {probes.min()}..{probes.max()}"
                )
            probes = probes.astype(np.int64)
        s_l, s_r = self.selfenergies(energy, params)
        if self.method == "rgf":  # Sigma_R is stored in the left lead's interface order
            s_r = self._reorder_right(s_r)
        il, ir = self._iface
        probe_orbs = _orbitals(probes, self.norbs)
        a = self.open_matrix(energy, h, s_l, s_r, probe_orbs, eta)
        # a probe may sit on an interface
        terminals = np.unique(np.concatenate([il, ir, probe_orbs]))
        pos = np.full(h.shape[0], -1)
        pos[terminals] = np.arange(len(terminals))
        g_s, solve = _terminal_green(a, terminals)

        def block(r, c):  # G[r, c] for system site indices r, c among the terminals
            return g_s[np.ix_(pos[r], pos[c])]

        po = probe_orbs
        blocks = (block(ir, il), block(po, il), block(ir, po), block(il, po), block(po, po))
        conductance = probe_conductance if self.norbs == 1 else spin_probe_conductance
        out = conductance(*blocks, s_l, s_r, eta)
        if not details:
            return out["conductance"]
        return dict(out, probes=probes, eta=eta, solve=solve)

    def _reorder_right(self, s_r_left_order):
        """Sigma_R from the left lead's interface order to the right lead's."""
        c0, c1 = self._iface_cross
        pos = {c: i for i, c in enumerate(c0)}
        idx = np.array([pos[c] for c in c1])
        return s_r_left_order[np.ix_(idx, idx)]

    # -- public ------------------------------------------------------------------------

    def transmission(self, energy: float, params_list, onsite_extra=None) -> np.ndarray:
        """Transmission [e^2/h per spin] for several parameter sets of one realization.

        Parameters
        ----------
        energy : float
            Energy [t].
        params_list : list of dict
            Kwant parameters (lattice units); all must share ``seed`` and
            ``disorder`` (they differ in the fields).
        onsite_extra : array, optional
            Extra on-site energies [t] in the device's site order (sparse) or
            column order (RGF), e.g. an imaginary dephasing potential.
        """
        params_list = list(params_list)
        seeds = {(p["seed"], p["disorder"]) for p in params_list}
        if len(seeds) != 1:
            raise ValueError("one call handles one disorder realization")
        if params_list[0].get("probe_eta"):
            return np.array([self.buttiker(energy, p) for p in params_list])
        if self.method == "rgf":
            return self._rgf(energy, params_list, onsite_extra)
        return np.array([self._sparse(energy, p, onsite_extra) for p in params_list])


def probe_conductance(g_rl, g_pl, g_rp, g_lp, g_pp, s_l, s_r, eta) -> dict:
    """Conductance [e^2/h] with zero-current probes from the terminal Green's function blocks.

    ``g_xy`` = G[x sites, y sites] for x, y in {L, R, p} (lead interfaces and
    probe sites), ``s_l``, ``s_r`` the lead self-energies, ``eta`` the probe
    coupling [t] (Gamma_p = 2 eta). Returns the transmissions T_ij, the probe
    voltages (V_L = 1, V_R = 0), the outflow of each probe and
    ``conductance`` = T_RL + sum_p T_Rp V_p (see :meth:`Solver.buttiker`).
    Spinless probes; spinful ones: :func:`spin_probe_conductance`.
    """
    gam_l = 1j * (s_l - s_l.conj().T)
    gam_r = 1j * (s_r - s_r.conj().T)
    gam_p = 2 * eta
    t_rl = _trace_product(gam_r, g_rl, gam_l)
    t_pl = gam_p * np.sum((g_pl @ gam_l) * g_pl.conj(), axis=1).real
    t_rp = gam_p * np.sum(g_rp.conj() * (gam_r @ g_rp), axis=0).real
    t_lp = gam_p * np.sum(g_lp.conj() * (gam_l @ g_lp), axis=0).real
    t_pp = gam_p**2 * np.abs(g_pp) ** 2
    np.fill_diagonal(t_pp, 0.0)
    out = network_conductance(t_rl, t_pl, t_rp, t_lp, t_pp)
    return dict(out, t_rl=t_rl, t_pl=t_pl, t_rp=t_rp, t_lp=t_lp, t_pp=t_pp,
                g_pp_diag=np.diag(g_pp).copy())  # fmt: skip


#: Unit matrix and Pauli matrices, the basis of a probe's 2 x 2 spin distribution.
_PAULI = np.array([[[1, 0], [0, 1]], [[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]],
                  dtype=complex)  # fmt: skip


def spin_probe_conductance(g_rl, g_pl, g_rp, g_lp, g_pp, s_l, s_r, eta) -> dict:
    """Conductance [e^2/h, both spins] with spin-conserving Buttiker probes on spinful sites.

    Blocks as in :func:`probe_conductance`, in orbitals (site i, spin s) with
    the two spins of a probe site adjacent. A probe is a reservoir whose
    distribution is a 2 x 2 spin matrix M_p = sum_b mu_p^b sigma_b, set so
    that the net current into it vanishes as a matrix: no charge current and
    no spin current,

        sum_j s_pj M_j s_pj^dagger - M_p = 0,   M_L = 1, M_R = 0,

    with s_pq = 2 i eta G_pq (p != q), s_pp = -1 + 2 i eta G_pp and the leads
    unpolarized. Such a probe breaks phase and keeps spin, as dephasing by
    electron-electron scattering does. A probe with one voltage for both spins
    (spin-unpolarized re-emission) would be a spin sink: it relaxes the singlet
    Cooperon as well, and antilocalization all but disappears (measured:
    studies/antilocalization). Without spin-orbit coupling it equals two
    copies of the spinless network (tested); the 4 P unknowns mu_p^b come from
    one real linear system. Returns ``conductance`` = the current into R, and
    ``conductance_left`` = the current out of L (equal: a test of current
    conservation), and the distributions ``mu`` (P, 4).
    """
    gam_l = 1j * (s_l - s_l.conj().T)
    gam_r = 1j * (s_r - s_r.conj().T)
    p = g_pp.shape[0] // 2
    pauli = _PAULI
    x = g_pp.reshape(p, 2, p, 2).transpose(0, 2, 1, 3)  # x[p, q] = G_pq, 2 x 2
    # k[p, a, q, b] = Tr[sigma_a s_pq sigma_b s_pq^dagger] / 2: component a in p from b in q
    k = 0.5 * (2 * eta) ** 2 * np.einsum("aij,pqjk,bkl,pqil->paqb", pauli, x, pauli, x.conj(),
                                         optimize=True).real  # fmt: skip
    diag = np.arange(p)
    s_pp = -np.eye(2) + 2j * eta * x[diag, diag]
    k[diag, :, diag, :] = 0.5 * np.einsum("aij,pjk,bkl,pil->pab", pauli, s_pp, pauli,
                                          s_pp.conj(), optimize=True).real - np.eye(4)  # fmt: skip
    g_pl3 = g_pl.reshape(p, 2, -1)
    inflow = 2 * eta * np.einsum("pjm,mn,pkn->pjk", g_pl3, gam_l, g_pl3.conj(), optimize=True)
    src = 0.5 * np.einsum("aij,pji->pa", pauli, inflow).real
    mu = (np.linalg.solve(k.reshape(4 * p, 4 * p), -src.reshape(-1)).reshape(p, 4) if p
          else np.zeros((0, 4)))  # fmt: skip

    def from_probes(gam, g_xp):  # current into lead x from each probe component: (P, 4)
        y = g_xp.reshape(g_xp.shape[0], p, 2).transpose(1, 0, 2)
        return 2 * eta * np.einsum("mn,qnj,bjk,qmk->qb", gam, y, pauli, y.conj(),
                                   optimize=True).real  # fmt: skip

    t_rl = _trace_product(gam_r, g_rl, gam_l)
    into_r = t_rl + float(np.sum(from_probes(gam_r, g_rp) * mu))
    # out of L: N_L - R_LL (= T_RL + sum_p T_pL by unitarity) minus what the probes send back
    from_l = t_rl + 2 * float(np.sum(src[:, 0]))  # Tr of each probe's inflow = 2 src[p, 0]
    into_l = float(np.sum(from_probes(gam_l, g_lp) * mu))
    return dict(conductance=into_r, conductance_left=from_l - into_l, mu=mu)


def network_conductance(t_rl, t_pl, t_rp, t_lp, t_pp) -> dict:
    """Conductance [e^2/h] of leads and zero-current probes from their transmissions.

    ``t_pp[q, p]`` is the transmission from probe p to probe q (diagonal
    zero), ``t_pl`` from L to each probe, ``t_rp`` and ``t_lp`` from each
    probe to R and L. The probe voltages V_p (V_L = 1, V_R = 0) make each
    probe's net current vanish; the result is ``conductance`` = T_RL +
    sum_p T_Rp V_p, with the ``voltages`` and each probe's ``outflow``
    (what it injects that leaves through another terminal). It takes any
    non-negative transmissions, e.g. disorder averages.
    """
    out_p = t_lp + t_rp + t_pp.sum(axis=0)  # everything injected by p that leaves via j
    k = np.diag(out_p) - t_pp
    v = np.linalg.solve(k, t_pl) if len(t_pl) else np.zeros(0)
    return dict(conductance=t_rl + float(t_rp @ v), outflow=out_p, voltages=v)


def network_pair_fluctuations(mean, var, rcov) -> float:
    """Second-order change of the network conductance [e^2/h] from single-pair fluctuations.

    Expanding G = T_RL + t_R^T K^-1 t_L (K = diag(outflow) - T_pp) to second
    order in the probe-probe transmissions about their means ``mean`` (a dict
    of `network_conductance`'s arguments at one field) and keeping only the
    variance of each T_qp (``var``) and its covariance with the reciprocal
    T_pq (``rcov``), both indexed [q, p] like T_pp:

        <dG> = sum_{p != q} (u_p - u_q) (K^-1_pp - K^-1_pq) (var_qp V_p - rcov_qp V_q),

    with V = K^-1 t_L (the voltages) and u = K^-T t_R. The lead links'
    fluctuations and the correlations between different pairs are left out.
    """
    t = mean["t_pp"]
    k = np.diag(mean["t_lp"] + mean["t_rp"] + t.sum(axis=0)) - t
    kinv = np.linalg.inv(k)
    v, u = kinv @ mean["t_pl"], kinv.T @ mean["t_rp"]
    a = u[None, :] - u[:, None]  # [q, p]: u_p - u_q
    b = np.diag(kinv)[None, :] - kinv.T  # [q, p]: K^-1_pp - K^-1_pq
    return float(np.sum(a * b * (var * v[None, :] - rcov * v[:, None])))


def _orbitals(sites, norbs: int) -> np.ndarray:
    """Orbital indices of ``sites`` (site i holds orbitals norbs i .. norbs i + norbs - 1)."""
    sites = np.asarray(sites, dtype=np.int64)
    if norbs == 1:
        return sites
    return (norbs * sites[:, None] + np.arange(norbs)).ravel()


def _trace_product(gam_a, g, gam_b) -> float:
    """Tr[Gamma_a G Gamma_b G^dagger] by two matrix products (O(n^3), not einsum's O(n^4))."""
    return float(np.sum((gam_a @ g) * (g.conj() @ gam_b.T)).real)


def _terminal_green(a, terminals):
    """Green's function G = a^-1 restricted to ``terminals`` (sorted site indices).

    Returns ``(G_SS, how)``. ``how == "schur"``: the inverse of the Schur
    complement of ``a`` on the terminals (MUMPS, nested dissection; the
    interior is eliminated and the factors discarded). The interior block is
    E - H_II, Hermitian with no self-energy, so the elimination takes no
    pivots from the terminals: it breaks down when E is an eigenvalue of the
    closed interior (clean, symmetric samples). MUMPS then reports tiny
    pivots, and ``how == "direct"``: a full MUMPS factorization with
    threshold pivoting and the terminal columns as a sparse right-hand side
    (2.5x slower on a 60 x 60 x 12 slab). Measured on a clean chain near
    such an eigenvalue, at a distance delta [t], the Schur result is off by
    ~1e-17/delta (1e-7 at delta = 1e-10, 2e-11 at 1e-6) with no pivot
    reported; in a disordered sample that needs a coincidence of
    probability ~delta / (level spacing).
    """
    import mumps  # the MUMPS bundled with python-mumps, which Kwant also uses
    from mumps import _mumps

    a = a.tocoo()
    n, m = a.shape[0], len(terminals)
    if m < n:  # MUMPS needs a Schur block smaller than the matrix
        s = np.empty((m, m), dtype=complex, order="C")
        with mumps.Context() as ctx:  # as mumps.schur_complement, plus the pivot report
            ctx.set_matrix(a)
            inst = ctx.mumps_instance
            inst.icntl[19] = 1  # centralized Schur complement, stored by rows
            inst.icntl[31] = 1  # discard the factors
            idx = np.asarray(terminals, dtype=_mumps.int_dtype) + 1  # 1-based (Fortran)
            inst.set_schur(s, idx)  # keeps pointers to s and idx: both stay referenced here
            ctx.analyze(ordering="metis")
            ctx.factor(reuse_analysis=True)
            tiny = inst.infog[25]  # pivots replaced by static pivoting
        if tiny == 0 and np.isfinite(s).all():
            return np.linalg.inv(s), "schur"
    ctx = mumps.Context()
    ctx.factor(a, ordering="metis")
    rhs = sp.csc_matrix((np.ones(m, complex), (terminals, np.arange(m))), shape=(n, m))
    return np.asarray(ctx.solve(rhs))[terminals], "direct"
