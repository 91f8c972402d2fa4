using SgdDynamics.Kernels.Grids;
using F = SgdDynamics.Kernels.Grids.FokkerPlanckKernels;

namespace SgdDynamics.Grids;

/// <summary>
/// Assembles the generator A (dm/dt = A m) as sparse rows from the face rates of <see cref="FokkerPlanckRates"/>: per
/// face the Scharfetter–Gummel flow <c>forward·m_L − backward·m_R</c>, per axis-0 (axis-1) face the mixed central
/// difference over the neighbouring columns (rows), the same flows <see cref="FokkerPlanckKernels.Rate{TB, TM}"/>
/// gathers per cell. Rows are 3-point (1-D), 5-point or 9-point (2-D with a mixed term), columns ascending; on a
/// ring the wrapped neighbours are ordinary entries of the row.
/// </summary>
internal static class FokkerPlanckGenerator
{
    private const int Slots = 9;

    /// <summary>The generator of <paramref name="rates"/>.</summary>
    public static SparseRowMatrix Assemble(FokkerPlanckRates rates)
    {
        FokkerPlanckGrid grid = rates.Grid;
        int n0 = grid.N0, n1 = grid.N1;
        int count = n0 * n1;
        bool ring = grid.Walls == GridWalls.Periodic;
        var slots = new double[count * Slots];

        // Adds rate·m_source to dm_target/dt; the slot is the source's offset (−1, 0, +1 per axis, wrapped on a ring).
        void Add(long ti, long tj, long si, long sj, double rate) =>
            slots[(ti * n1 + tj) * Slots + (Offset(si - ti, n0) + 1) * 3 + (Offset(sj - tj, n1) + 1)] += rate;

        for (long f = 0; f < grid.Faces; f++)
        {
            F.FaceCells(f, grid, out long left, out long right);
            long li = left / n1, lj = left - li * n1, ri = right / n1, rj = right - ri * n1;
            double forward = rates.Forward[f], backward = rates.Backward[f];
            Add(li, lj, li, lj, -forward);
            Add(ri, rj, li, lj, forward);
            Add(li, lj, ri, rj, backward);
            Add(ri, rj, ri, rj, -backward);
        }

        bool hasMixed = false;
        if (grid.Dimension == 2)
        {
            double[] mixed = rates.Mixed;

            // Mass flow left → right gains −sign·mixed_s·m_s from each source s of the face's central difference.
            void Mixed(long li, long lj, long ri, long rj, long si, long sj, double sign)
            {
                double rate = -sign * mixed[si * n1 + sj];
                if (rate != 0)
                {
                    hasMixed = true;
                    Add(li, lj, si, sj, -rate);
                    Add(ri, rj, si, sj, rate);
                }
            }

            // Axis-0 faces (i+½, j): F −= q(i,u) + q(i+1,u) − q(i,d) − q(i+1,d), q = mixed·m, u/d the neighbours j ± 1.
            for (long f = 0; f < grid.Faces0; f++)
            {
                F.FaceCells(f, grid, out long left, out long right);
                long i = left / n1, j = left - i * n1, ri = right / n1;
                long up = GridWalls.Neighbour(j, 1, n1, grid.Walls), down = GridWalls.Neighbour(j, -1, n1, grid.Walls);
                Mixed(i, j, ri, j, i, up, 1.0);
                Mixed(i, j, ri, j, ri, up, 1.0);
                Mixed(i, j, ri, j, i, down, -1.0);
                Mixed(i, j, ri, j, ri, down, -1.0);
            }

            // Axis-1 faces (i, j+½): F −= q(u,j) + q(u,j+1) − q(d,j) − q(d,j+1), u/d the neighbours i ± 1.
            for (long f = grid.Faces0; f < grid.Faces; f++)
            {
                F.FaceCells(f, grid, out long left, out long right);
                long i = left / n1, j = left - i * n1, rj = right - i * n1;
                long up = GridWalls.Neighbour(i, 1, n0, grid.Walls), down = GridWalls.Neighbour(i, -1, n0, grid.Walls);
                Mixed(i, j, i, rj, up, j, 1.0);
                Mixed(i, j, i, rj, up, rj, 1.0);
                Mixed(i, j, i, rj, down, j, -1.0);
                Mixed(i, j, i, rj, down, rj, -1.0);
            }
        }

        var rowStart = new int[count + 1];
        var columns = new List<int>(count * (hasMixed ? 9 : 5));
        var values = new List<double>(count * (hasMixed ? 9 : 5));
        var row = new List<(int Column, double Value)>(Slots);
        for (int i = 0; i < n0; i++)
        {
            for (int j = 0; j < n1; j++)
            {
                int target = i * n1 + j;
                row.Clear();
                for (int di = -1; di <= 1; di++)
                {
                    for (int dj = -1; dj <= 1; dj++)
                    {
                        int si = i + di, sj = j + dj;
                        bool corner = di != 0 && dj != 0;
                        if (grid.Dimension == 1 && dj != 0)
                        {
                            continue;
                        }

                        if (ring)
                        {
                            si = (si + n0) % n0;
                            sj = (sj + n1) % n1;
                        }

                        if (si < 0 || si >= n0 || sj < 0 || sj >= n1 || (corner && !hasMixed))
                        {
                            continue;
                        }

                        row.Add((si * n1 + sj, slots[target * Slots + (di + 1) * 3 + (dj + 1)]));
                    }
                }

                if (ring)
                {
                    // wrapped columns are out of order, and on a ring of two cells both neighbours are one cell
                    row.Sort((a, b) => a.Column.CompareTo(b.Column));
                    for (int k = row.Count - 1; k > 0; k--)
                    {
                        if (row[k].Column == row[k - 1].Column)
                        {
                            row[k - 1] = (row[k].Column, row[k - 1].Value + row[k].Value);
                            row.RemoveAt(k);
                        }
                    }
                }

                foreach (var (column, value) in row)
                {
                    columns.Add(column);
                    values.Add(value);
                }

                rowStart[target + 1] = columns.Count;
            }
        }

        return new SparseRowMatrix(rowStart, columns.ToArray(), values.ToArray());
    }

    /// <summary>Offset of a neighbour along an axis of n cells: −1, 0 or +1 (a ring's wrap-around difference ±(n − 1) is ∓1).</summary>
    private static long Offset(long difference, long n) => difference > 1 ? difference - n : (difference < -1 ? difference + n : difference);
}
