namespace SgdDynamics.Networks;

/// <summary>
/// The per-sample passes of a multilayer perceptron (<see cref="MlpArchitecture"/>) on parameters in its flat layout:
/// forward pass, loss and output error, backpropagation and the R-operator, shared by <see cref="MlpReference"/> and
/// <see cref="CharModelReference"/> (whose MLP reads the embedded context). The parameter spans given here hold the
/// MLP's own parameters (offset 0 = W₀), so a larger model passes the slice of its vector where the MLP starts. The
/// input may depend on parameters outside the MLP: the backward passes can return the input gradient
/// <c>∂ℓ/∂a₀ = W₀ᵀ δ₀</c> and its directional derivative, and the R pass can take a nonzero input direction R{a₀}.
/// </summary>
internal sealed class MlpKernel
{
    private readonly int[] _widths;
    private readonly int[] _weightOffsets;
    private readonly int[] _biasOffsets;
    private readonly MlpActivation[] _activations;

    public MlpKernel(MlpArchitecture architecture)
    {
        Architecture = architecture;
        int layers = architecture.LayerCount;
        _widths = new int[layers + 1];
        _weightOffsets = new int[layers];
        _biasOffsets = new int[layers];
        _activations = [.. architecture.Activations];
        _widths[0] = architecture.InputSize;
        for (int l = 0; l < layers; l++)
        {
            _widths[l + 1] = architecture.LayerOutputSize(l);
            _weightOffsets[l] = architecture.WeightOffset(l);
            _biasOffsets[l] = architecture.BiasOffset(l);
        }
    }

    public MlpArchitecture Architecture { get; }

    public int Layers => _widths.Length - 1;

    public int InputSize => _widths[0];

    public int OutputSize => _widths[^1];

    public MlpWorkspace CreateWorkspace() => new(_widths);

    /// <summary>The output f (logits) of the last forward pass.</summary>
    public static ReadOnlySpan<double> Output(MlpWorkspace ws) => ws.Pre[^1];

    /// <summary>Forward pass: pre-activations z_l, activations a_l and the activation derivatives σ′(z_l), σ″(z_l).</summary>
    public void Forward(ReadOnlySpan<double> theta, ReadOnlySpan<double> input, MlpWorkspace ws)
    {
        input.CopyTo(ws.Act[0]);
        int layers = Layers;
        for (int l = 0; l < layers; l++)
        {
            int nIn = _widths[l], nOut = _widths[l + 1];
            var w = theta.Slice(_weightOffsets[l], nOut * nIn);
            var b = theta.Slice(_biasOffsets[l], nOut);
            var a = ws.Act[l];
            var z = ws.Pre[l];
            for (int o = 0; o < nOut; o++) z[o] = b[o] + Dot(w.Slice(o * nIn, nIn), a);
            if (l < layers - 1) Activate(_activations[l], z, ws.Act[l + 1], ws.D1[l], ws.D2[l]);
        }
    }

    /// <summary>Softmax cross-entropy <c>log Σ exp f − f_y</c> of the last forward pass; δ_L = p − e_y (p kept in the workspace).</summary>
    public double CrossEntropyAndDelta(MlpWorkspace ws, int label)
    {
        var f = ws.Pre[Layers - 1];
        var delta = ws.Delta[Layers - 1];
        double max = f.Max();
        double sum = 0.0;
        for (int o = 0; o < f.Length; o++)
        {
            ws.Prob[o] = Math.Exp(f[o] - max);
            sum += ws.Prob[o];
        }

        for (int o = 0; o < f.Length; o++)
        {
            ws.Prob[o] /= sum;
            delta[o] = ws.Prob[o];
        }

        delta[label] -= 1.0;
        return max + Math.Log(sum) - f[label];
    }

    /// <summary>Half the squared error ½‖f − y‖² of the last forward pass; δ_L = f − y.</summary>
    public double SquaredErrorAndDelta(MlpWorkspace ws, ReadOnlySpan<double> target)
    {
        var f = ws.Pre[Layers - 1];
        var delta = ws.Delta[Layers - 1];
        double loss = 0.0;
        for (int o = 0; o < f.Length; o++)
        {
            double r = f[o] - target[o];
            delta[o] = r;
            loss += r * r;
        }

        return 0.5 * loss;
    }

    /// <summary>
    /// Backpropagation: adds ∇ℓ to <paramref name="gradient"/> (needs the forward pass and the output error). When
    /// <paramref name="inputGradient"/> is not empty it receives ∂ℓ/∂a₀ = W₀ᵀ δ₀ (overwritten, not added).
    /// </summary>
    public void Backward(ReadOnlySpan<double> theta, MlpWorkspace ws, Span<double> gradient, Span<double> inputGradient = default)
    {
        for (int l = Layers - 1; l >= 0; l--)
        {
            int nIn = _widths[l], nOut = _widths[l + 1];
            var a = ws.Act[l];
            var d = ws.Delta[l];
            var gw = gradient.Slice(_weightOffsets[l], nOut * nIn);
            var gb = gradient.Slice(_biasOffsets[l], nOut);
            for (int o = 0; o < nOut; o++)
            {
                gb[o] += d[o];
                var row = gw.Slice(o * nIn, nIn);
                double dO = d[o];
                for (int i = 0; i < nIn; i++) row[i] += dO * a[i];
            }

            if (l == 0 && inputGradient.IsEmpty) break;

            // δ_{l−1} = σ′(z_{l−1}) ⊙ W_lᵀ δ_l (and ∂ℓ/∂a₀ = W₀ᵀ δ₀)
            var w = theta.Slice(_weightOffsets[l], nOut * nIn);
            var e = l == 0 ? inputGradient[..nIn] : ws.Back.AsSpan(0, nIn);
            e.Clear();
            for (int o = 0; o < nOut; o++)
            {
                double dO = d[o];
                var row = w.Slice(o * nIn, nIn);
                for (int i = 0; i < nIn; i++) e[i] += row[i] * dO;
            }

            if (l == 0) break;

            var previous = ws.Delta[l - 1];
            var d1 = ws.D1[l - 1];
            for (int i = 0; i < nIn; i++) previous[i] = d1[i] * e[i];
        }
    }

    /// <summary>
    /// Forward-over-reverse (R-operator, Pearlmutter 1994): adds ∇²ℓ v to <paramref name="product"/>. With R{·} the
    /// directional derivative along v (V_l, c_l the weight and bias parts of v):
    /// R{a₀} = <paramref name="inputDirection"/> (0 when empty), R{z_l} = V_l a_{l−1} + W_l R{a_{l−1}} + c_l,
    /// R{a_l} = σ′(z_l) ⊙ R{z_l}; R{δ_L} = (diag p − p pᵀ) R{f} (cross-entropy) or R{f} (squared loss);
    /// R{∇_{W_l}} = R{δ_l} a_{l−1}ᵀ + δ_l R{a_{l−1}}ᵀ, R{∇_{b_l}} = R{δ_l};
    /// with e = W_lᵀ δ_l: R{δ_{l−1}} = σ″(z_{l−1}) ⊙ R{z_{l−1}} ⊙ e + σ′(z_{l−1}) ⊙ (V_lᵀ δ_l + W_lᵀ R{δ_l}).
    /// When <paramref name="rInputGradient"/> is not empty it receives R{∂ℓ/∂a₀} = V₀ᵀ δ₀ + W₀ᵀ R{δ₀}.
    /// Needs the forward pass and the output error; recomputes the hidden errors δ_l.
    /// </summary>
    public void RForwardBackward(
        ReadOnlySpan<double> theta,
        ReadOnlySpan<double> v,
        MlpWorkspace ws,
        Span<double> product,
        ReadOnlySpan<double> inputDirection = default,
        Span<double> rInputGradient = default)
    {
        int layers = Layers;
        bool rInput = !inputDirection.IsEmpty;
        if (rInput) inputDirection[.._widths[0]].CopyTo(ws.RAct[0]);
        else Array.Clear(ws.RAct[0]);
        for (int l = 0; l < layers; l++)
        {
            int nIn = _widths[l], nOut = _widths[l + 1];
            var w = theta.Slice(_weightOffsets[l], nOut * nIn);
            var vw = v.Slice(_weightOffsets[l], nOut * nIn);
            var vb = v.Slice(_biasOffsets[l], nOut);
            var a = ws.Act[l];
            var ra = ws.RAct[l];
            var rz = ws.RPre[l];
            bool zeroRa = l == 0 && !rInput;
            for (int o = 0; o < nOut; o++)
            {
                rz[o] = vb[o] + Dot(vw.Slice(o * nIn, nIn), a) + (zeroRa ? 0.0 : Dot(w.Slice(o * nIn, nIn), ra));
            }

            if (l < layers - 1)
            {
                var next = ws.RAct[l + 1];
                var d1 = ws.D1[l];
                for (int o = 0; o < nOut; o++) next[o] = d1[o] * rz[o];
            }
        }

        var rf = ws.RPre[layers - 1];
        var rDeltaOut = ws.RDelta[layers - 1];
        if (Architecture.Loss == MlpLoss.SoftmaxCrossEntropy)
        {
            double mean = 0.0;
            for (int o = 0; o < rf.Length; o++) mean += ws.Prob[o] * rf[o];
            for (int o = 0; o < rf.Length; o++) rDeltaOut[o] = ws.Prob[o] * (rf[o] - mean);
        }
        else
        {
            rf.AsSpan().CopyTo(rDeltaOut);
        }

        for (int l = layers - 1; l >= 0; l--)
        {
            int nIn = _widths[l], nOut = _widths[l + 1];
            var a = ws.Act[l];
            var ra = ws.RAct[l];
            var d = ws.Delta[l];
            var rd = ws.RDelta[l];
            var hw = product.Slice(_weightOffsets[l], nOut * nIn);
            var hb = product.Slice(_biasOffsets[l], nOut);
            bool zeroRa = l == 0 && !rInput;
            for (int o = 0; o < nOut; o++)
            {
                hb[o] += rd[o];
                var row = hw.Slice(o * nIn, nIn);
                double rdO = rd[o], dO = d[o];
                if (zeroRa)
                {
                    for (int i = 0; i < nIn; i++) row[i] += rdO * a[i];
                }
                else
                {
                    for (int i = 0; i < nIn; i++) row[i] += (rdO * a[i]) + (dO * ra[i]);
                }
            }

            if (l == 0)
            {
                if (!rInputGradient.IsEmpty)
                {
                    // R{W₀ᵀ δ₀} = V₀ᵀ δ₀ + W₀ᵀ R{δ₀}
                    var w0 = theta.Slice(_weightOffsets[0], nOut * nIn);
                    var v0 = v.Slice(_weightOffsets[0], nOut * nIn);
                    var r0 = rInputGradient[..nIn];
                    r0.Clear();
                    for (int o = 0; o < nOut; o++)
                    {
                        double dO = d[o], rdO = rd[o];
                        var wRow = w0.Slice(o * nIn, nIn);
                        var vRow = v0.Slice(o * nIn, nIn);
                        for (int i = 0; i < nIn; i++) r0[i] += (vRow[i] * dO) + (wRow[i] * rdO);
                    }
                }

                break;
            }

            var w = theta.Slice(_weightOffsets[l], nOut * nIn);
            var vw = v.Slice(_weightOffsets[l], nOut * nIn);
            var e = ws.Back.AsSpan(0, nIn);
            var re = ws.RBack.AsSpan(0, nIn);
            e.Clear();
            re.Clear();
            for (int o = 0; o < nOut; o++)
            {
                double dO = d[o], rdO = rd[o];
                var wRow = w.Slice(o * nIn, nIn);
                var vRow = vw.Slice(o * nIn, nIn);
                for (int i = 0; i < nIn; i++)
                {
                    e[i] += wRow[i] * dO;
                    re[i] += (vRow[i] * dO) + (wRow[i] * rdO);
                }
            }

            var previous = ws.Delta[l - 1];
            var rPrevious = ws.RDelta[l - 1];
            var d1 = ws.D1[l - 1];
            var d2 = ws.D2[l - 1];
            var rz = ws.RPre[l - 1];
            for (int i = 0; i < nIn; i++)
            {
                previous[i] = d1[i] * e[i];
                rPrevious[i] = (d2[i] * rz[i] * e[i]) + (d1[i] * re[i]);
            }
        }
    }

    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double sum = 0.0;
        for (int i = 0; i < x.Length; i++) sum += x[i] * y[i];
        return sum;
    }

    private static void Activate(MlpActivation activation, double[] z, double[] a, double[] d1, double[] d2)
    {
        for (int o = 0; o < z.Length; o++)
        {
            double x = z[o];
            switch (activation)
            {
                case MlpActivation.Tanh:
                {
                    double t = Math.Tanh(x);
                    a[o] = t;
                    d1[o] = 1.0 - (t * t);
                    d2[o] = -2.0 * t * d1[o];
                    break;
                }

                case MlpActivation.Silu:
                {
                    // σ(x) = x s, σ′ = s (1 + x (1 − s)), σ″ = s (1 − s) (2 + x (1 − 2s)), s = 1/(1 + e^{−x})
                    double s = 1.0 / (1.0 + Math.Exp(-x));
                    a[o] = x * s;
                    d1[o] = s * (1.0 + (x * (1.0 - s)));
                    d2[o] = s * (1.0 - s) * (2.0 + (x * (1.0 - (2.0 * s))));
                    break;
                }

                default:
                    a[o] = x > 0.0 ? x : 0.0;
                    d1[o] = x > 0.0 ? 1.0 : 0.0;
                    d2[o] = 0.0;
                    break;
            }
        }
    }
}

/// <summary>
/// Per-thread buffers of one sample's forward, backward and R passes through an MLP, and input-sized buffers for a
/// model whose MLP input is computed from parameters (<see cref="Input"/>, <see cref="RInput"/>,
/// <see cref="InputGradient"/>, <see cref="RInputGradient"/>).
/// </summary>
internal sealed class MlpWorkspace
{
    public MlpWorkspace(int[] widths)
    {
        int layers = widths.Length - 1;
        Act = new double[layers][];
        RAct = new double[layers][];
        Pre = new double[layers][];
        RPre = new double[layers][];
        Delta = new double[layers][];
        RDelta = new double[layers][];
        D1 = new double[layers][];
        D2 = new double[layers][];
        for (int l = 0; l < layers; l++)
        {
            Act[l] = new double[widths[l]];
            RAct[l] = new double[widths[l]];
            Pre[l] = new double[widths[l + 1]];
            RPre[l] = new double[widths[l + 1]];
            Delta[l] = new double[widths[l + 1]];
            RDelta[l] = new double[widths[l + 1]];
            D1[l] = new double[widths[l + 1]];
            D2[l] = new double[widths[l + 1]];
        }

        int max = widths.Max();
        Prob = new double[widths[^1]];
        Back = new double[max];
        RBack = new double[max];
        Input = new double[widths[0]];
        RInput = new double[widths[0]];
        InputGradient = new double[widths[0]];
        RInputGradient = new double[widths[0]];
    }

    public double[][] Act { get; }

    public double[][] RAct { get; }

    public double[][] Pre { get; }

    public double[][] RPre { get; }

    public double[][] Delta { get; }

    public double[][] RDelta { get; }

    public double[][] D1 { get; }

    public double[][] D2 { get; }

    public double[] Prob { get; }

    public double[] Back { get; }

    public double[] RBack { get; }

    public double[] Input { get; }

    public double[] RInput { get; }

    public double[] InputGradient { get; }

    public double[] RInputGradient { get; }
}
