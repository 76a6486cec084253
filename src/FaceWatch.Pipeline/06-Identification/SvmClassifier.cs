namespace FaceWatch.Pipeline.Identification;

/// <summary>How the linear SVM is trained.</summary>
public sealed record SvmTrainingOptions
{
    /// <summary>Regularisation: larger fits the training faces harder (10 measured best on the shared photos).</summary>
    public double C { get; init; } = 10.0;

    /// <summary>Folds of the cross-validation whose decision values calibrate the probabilities.</summary>
    public int Folds { get; init; } = 5;

    /// <summary>Seed of every shuffle: the same faces always give the same model.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>One class of a one-vs-rest SVM: its decision function and the sigmoid calibrating it.</summary>
public sealed record SvmClass(string Name, LinearModel Model, PlattSigmoid Sigmoid);

/// <summary>
/// Multi-class linear SVM, one-vs-rest, with probabilities: each class's decision value goes through its own
/// Platt sigmoid (fitted on cross-validated decision values, so it is not fooled by the training fit),
/// then the per-class probabilities are normalised to sum to one.
/// </summary>
public sealed class SvmClassifier
{
    private const int MaxStackClasses = 256;

    public SvmClassifier(IReadOnlyList<SvmClass> classes)
    {
        if (classes.Count < 2)
        {
            throw new ArgumentException("An SVM needs at least two classes.", nameof(classes));
        }

        Classes = classes;
    }

    public IReadOnlyList<SvmClass> Classes { get; }

    /// <summary>
    /// After training: each training sample's probability of its own class from the models that did not see it
    /// (the cross-validation that fitted the sigmoids). Empty when there was too little data to cross-validate,
    /// and for a classifier loaded from a file.
    /// </summary>
    public IReadOnlyList<double> CrossValidatedTrueProbabilities { get; private init; } = [];

    /// <summary>Probability per class (same order as <see cref="Classes"/>), summing to one.</summary>
    public double[] Probabilities(ReadOnlySpan<float> x)
    {
        var p = new double[Classes.Count];
        Probabilities(x, p);
        return p;
    }

    /// <summary>The most probable class and its probability.</summary>
    public (int Index, double Probability) Predict(ReadOnlySpan<float> x)
    {
        // Runs per face: the per-class buffer lives on the stack.
        Span<double> p = Classes.Count <= MaxStackClasses ? stackalloc double[Classes.Count] : new double[Classes.Count];
        Probabilities(x, p);
        var best = 0;
        for (var k = 1; k < p.Length; k++)
        {
            if (p[k] > p[best])
            {
                best = k;
            }
        }

        return (best, p[best]);
    }

    /// <summary>Trains on <paramref name="samples"/> labelled by index into <paramref name="classNames"/>.</summary>
    public static SvmClassifier Train(
        IReadOnlyList<float[]> samples, IReadOnlyList<int> labels, IReadOnlyList<string> classNames, SvmTrainingOptions? options = null)
    {
        options ??= new SvmTrainingOptions();
        var k = classNames.Count;
        if (k < 2)
        {
            throw new ArgumentException("An SVM needs at least two classes.", nameof(classNames));
        }

        var counts = new int[k];
        foreach (var y in labels)
        {
            counts[y]++;
        }

        if (counts.Any(c => c == 0))
        {
            throw new ArgumentException("Every class needs at least one sample.", nameof(labels));
        }

        // Cross-validated decision values for the sigmoids; with a class of one sample there is nothing to hold
        // out, so the training decisions are used (probabilities then run high, as libsvm's would).
        // Without cross-validation the final (seeded, so identical) models give those decisions: train them once.
        var folds = Math.Min(options.Folds, counts.Min());
        var final = TrainOneVsRest(samples, labels, k, options);
        var decisions = folds >= 2
            ? CrossValidatedDecisions(samples, labels, k, folds, options)
            : final.Select(m => samples.Select(s => m.Decision(s)).ToArray()).ToArray();

        var classes = new SvmClass[k];
        for (var c = 0; c < k; c++)
        {
            var positive = labels.Select(y => y == c).ToArray();
            classes[c] = new SvmClass(classNames[c], final[c], PlattSigmoid.Fit(decisions[c], positive));
        }

        var trueProbabilities = new List<double>();
        if (folds >= 2)
        {
            var p = new double[k];
            for (var i = 0; i < samples.Count; i++)
            {
                for (var c = 0; c < k; c++)
                {
                    p[c] = decisions[c][i];
                }

                ToProbabilities(classes, p);
                trueProbabilities.Add(p[labels[i]]);
            }
        }

        return new SvmClassifier(classes) { CrossValidatedTrueProbabilities = trueProbabilities };
    }

    private void Probabilities(ReadOnlySpan<float> x, Span<double> p)
    {
        for (var k = 0; k < p.Length; k++)
        {
            p[k] = Classes[k].Model.Decision(x);
        }

        ToProbabilities(Classes, p);
    }

    /// <summary>
    /// The one rule from decision values to probabilities, for prediction and for the cross-validated calibration
    /// alike: each class's decision value (one per class, replaced in place) through its sigmoid, floored so no class
    /// is ruled out entirely, then normalised to sum to one.
    /// </summary>
    private static void ToProbabilities(IReadOnlyList<SvmClass> classes, Span<double> decisions)
    {
        double sum = 0;
        for (var k = 0; k < decisions.Length; k++)
        {
            decisions[k] = Math.Max(classes[k].Sigmoid.Probability(decisions[k]), 1e-12);
            sum += decisions[k];
        }

        for (var k = 0; k < decisions.Length; k++)
        {
            decisions[k] /= sum;
        }
    }

    private static LinearModel[] TrainOneVsRest(IReadOnlyList<float[]> samples, IReadOnlyList<int> labels, int k, SvmTrainingOptions options)
    {
        var models = new LinearModel[k];
        for (var c = 0; c < k; c++)
        {
            var y = labels.Select(l => l == c ? 1 : -1).ToArray();
            models[c] = LinearSvm.Train(samples, y, options.C, seed: options.Seed + c);
        }

        return models;
    }

    /// <summary>Stratified k-fold: every face's decision values come from a model that never saw it.</summary>
    private static double[][] CrossValidatedDecisions(
        IReadOnlyList<float[]> samples, IReadOnlyList<int> labels, int k, int folds, SvmTrainingOptions options)
    {
        var n = samples.Count;
        var fold = new int[n];
        var rng = new Random(options.Seed);
        for (var c = 0; c < k; c++)
        {
            var members = Enumerable.Range(0, n).Where(i => labels[i] == c).ToArray();
            rng.Shuffle(members);
            for (var j = 0; j < members.Length; j++)
            {
                fold[members[j]] = j % folds;
            }
        }

        var decisions = new double[k][];
        for (var c = 0; c < k; c++)
        {
            decisions[c] = new double[n];
        }

        for (var f = 0; f < folds; f++)
        {
            var train = Enumerable.Range(0, n).Where(i => fold[i] != f).ToArray();
            var models = TrainOneVsRest(train.Select(i => samples[i]).ToArray(), train.Select(i => labels[i]).ToArray(), k, options);
            for (var i = 0; i < n; i++)
            {
                if (fold[i] != f)
                {
                    continue;
                }

                for (var c = 0; c < k; c++)
                {
                    decisions[c][i] = models[c].Decision(samples[i]);
                }
            }
        }

        return decisions;
    }
}
