using FaceWatch.Pipeline.Identification;

using FaceWatch.Core.Numerics;
using FaceWatch.Pipeline.Embedding;
namespace FaceWatch.Tests.Pipeline.Identification;

/// <summary>
/// The model prior and the calibration that shrinks toward it (issue 11), on synthetic galleries whose impostor scores
/// are known, against the shipped MobileFaceNet prior; one synthetic prior for the interpolation.
/// </summary>
public sealed class OpenSetPriorTests
{
    private const int Dimension = 192;
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;
    private static readonly ScorePrior Shipped = ScorePrior.BuiltIn(ShippedModelId())
        ?? throw new InvalidOperationException("models/mobilefacenet.prior.json is not embedded or does not match the model.");

    private static readonly EmbeddingModelIdentity Model = new(Shipped.ModelId, Shipped.ModelFile, 112, Dimension);

    private static string ShippedModelId() =>
        System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "models", "mobilefacenet.prior.json")))
            .RootElement.GetProperty("modelId").GetString()!;

    /// <summary>
    /// People whose faces are a person direction plus noise; <paramref name="between"/> is the cosine between people's
    /// directions (how alike the gallery's people look to each other).
    /// </summary>
    private static EnrolledPerson[] People(int people, int faces, double between, int seed = 1)
    {
        var rng = new Random(seed);
        var common = Unit(rng);
        return Enumerable.Range(0, people).Select(p =>
        {
            var own = Unit(rng);
            var direction = Mix(common, own, Math.Sqrt(between));
            return new EnrolledPerson($"p{p}", Enumerable.Range(0, faces)
                .Select(f => new EnrolledFace($"p{p}/{f}.jpg", Mix(direction, Unit(rng), 0.85))).ToArray());
        }).ToArray();
    }

    private static float[] Unit(Random rng)
    {
        var v = new float[Dimension];
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        VectorMath.NormalizeInPlace(v);
        return v;
    }

    /// <summary>Unit vector with cosine <paramref name="a"/> to unit <paramref name="x"/>, the rest along <paramref name="y"/>.</summary>
    private static float[] Mix(float[] x, float[] y, double a)
    {
        var b = Math.Sqrt(1 - (a * a));
        var v = x.Zip(y, (p, q) => (float)((a * p) + (b * q))).ToArray();
        VectorMath.NormalizeInPlace(v);
        return v;
    }

    [Fact]
    public void The_shipped_prior_matches_the_shipped_model_and_covers_small_and_large_galleries()
    {
        var pinned = ModelsManifestHash("mobilefacenet.onnx");
        Assert.Equal(pinned, Shipped.ModelId, ignoreCase: true);
        Assert.Contains(Shipped.Cells, c => c.People == 1 && c.FacesPerPerson == 1 && c.Evidence == 1);
        Assert.Contains(Shipped.Cells, c => c.People == 100 && c.FacesPerPerson == 10 && c.Evidence == 8);
        // More people enrolled: a stranger has more chances to look like one of them, so the 1 % tail rises.
        Assert.True(Shipped.StrangerTail(100, 5, 1, 0.01) > Shipped.StrangerTail(3, 5, 1, 0.01) + 0.05);
        // A stricter operating point has a higher threshold.
        Assert.True(Shipped.StrangerTail(10, 5, 1, 0.001) > Shipped.StrangerTail(10, 5, 1, 0.01));
    }

    private static string ModelsManifestHash(string file)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "models", "models.json")));
        return FindHash(doc.RootElement, file) ?? throw new InvalidOperationException($"{file} not in models.json");
    }

    private static string? FindHash(System.Text.Json.JsonElement e, string file)
    {
        if (e.ValueKind == System.Text.Json.JsonValueKind.Object)
        {
            if (e.TryGetProperty("file", out var f) && f.GetString() == file && e.TryGetProperty("sha256", out var h))
            {
                return h.GetString();
            }

            return e.EnumerateObject().Select(p => FindHash(p.Value, file)).FirstOrDefault(x => x is not null);
        }

        return e.ValueKind == System.Text.Json.JsonValueKind.Array ? e.EnumerateArray().Select(x => FindHash(x, file)).FirstOrDefault(x => x is not null) : null;
    }

    [Fact]
    public void A_small_gallery_takes_its_threshold_from_the_prior_and_says_how_many_scores_it_added()
    {
        var gallery = Gallery.Create(Model, People(3, 4, 0.1), Now);
        var t = gallery.Thresholds;
        var prior = Shipped.StrangerTail(3, 4, 1, 0.01);
        // 12 gallery scores against a prior worth 100: the shift is at most 12/112 of the difference of means.
        Assert.InRange(t.Score, prior - (0.11 * 0.5), prior + (0.11 * 0.5));
        Assert.Equal(12, t.GalleryScores);
        Assert.Equal(Shipped.Describe(), t.Prior);
        Assert.Contains("the gallery's 12 impostor scores", t.Method, StringComparison.Ordinal);
        Assert.Contains("(weight 11", t.Method, StringComparison.Ordinal);
    }

    [Fact]
    public void Gallery_scores_move_the_threshold_their_way_and_more_scores_move_it_further()
    {
        // People who look alike to the model (between-person cosine 0.5) raise the impostor scores, so the threshold.
        var alikeSmall = Gallery.Create(Model, People(5, 3, 0.5), Now).Thresholds;
        var apartSmall = Gallery.Create(Model, People(5, 3, 0.0), Now).Thresholds;
        Assert.True(alikeSmall.Score > apartSmall.Score, $"{alikeSmall.Score} vs {apartSmall.Score}");
        var alikeLarge = Gallery.Create(Model, People(5, 30, 0.5), Now).Thresholds;
        var priorLarge = Shipped.StrangerTail(5, 30, 1, 0.01);
        var priorSmall = Shipped.StrangerTail(5, 3, 1, 0.01);
        Assert.True(alikeLarge.Score - priorLarge > alikeSmall.Score - priorSmall, $"{alikeLarge.Method} / {alikeSmall.Method}");
        Assert.True(Math.Abs(alikeLarge.Score - priorLarge) <= OpenSetCalibration.MaxShift + 1e-9);
    }

    [Fact]
    public void Evidence_thresholds_never_fall_below_a_single_face_and_are_used_for_that_many_observations()
    {
        var gallery = Gallery.Create(Model, People(4, 5, 0.1), Now);
        var t = gallery.Thresholds;
        Assert.Equal(3, t.EvidenceScores.Count);
        Assert.Equal(t.Score, t.ScoreFor(1));
        Assert.Equal(t.EvidenceScores[0], t.ScoreFor(3));
        Assert.Equal(t.EvidenceScores[1], t.ScoreFor(7));
        Assert.Equal(t.EvidenceScores[2], t.ScoreFor(50));
        Assert.True(t.EvidenceScores[0] >= t.Score);

        // An embedding between the single and the evidence bar: unknown alone, a name as the mean of 8 faces only when
        // the evidence bar is lower; here it is higher, so 8 observations can never name what 1 could not at this score.
        var probe = gallery.People[0].Faces[0].Embedding;
        var id = new Identifier(gallery);
        Assert.Equal(1, id.Identify(probe).Observations);
        Assert.Equal(8, id.Identify(probe, 8).Observations);
        Assert.Equal(t.EvidenceScores[2], id.Identify(probe, 8).ScoreThreshold);
    }

    [Fact]
    public void Without_a_prior_the_gallery_alone_decides_and_there_is_no_evidence_accumulation()
    {
        var gallery = Gallery.Create(Model with { ModelId = "0000" }, People(5, 6, 0.1), Now, calibration: new GalleryCalibration(null));
        Assert.Null(gallery.Thresholds.Prior);
        Assert.StartsWith("no prior for this embedding model (run 'facewatch models calibrate')", gallery.Thresholds.Method, StringComparison.Ordinal);
        Assert.Empty(gallery.Thresholds.EvidenceScores);
        Assert.InRange(gallery.Thresholds.Score, OpenSetCalibration.MinScore, OpenSetCalibration.MaxScore);
    }

    [Theory]
    [InlineData(0.0005)]
    [InlineData(0.2)]
    [InlineData(double.NaN)]
    public void An_operating_point_outside_what_the_prior_measured_is_refused(double rate)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Gallery.Create(Model, People(3, 3, 0.1), Now, calibration: new GalleryCalibration(Shipped, rate)));
        Assert.Contains("between 0.001 and 0.05", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stricter_operating_point_gives_a_higher_threshold()
    {
        var people = People(6, 4, 0.1);
        var at1 = Gallery.Create(Model, people, Now, calibration: new GalleryCalibration(Shipped, 0.01)).Thresholds;
        var at01 = Gallery.Create(Model, people, Now, calibration: new GalleryCalibration(Shipped, 0.001)).Thresholds;
        Assert.True(at01.Score > at1.Score);
        Assert.Equal(0.001, at01.StrangerRate);
    }

    [Fact]
    public void Interpolation_is_linear_in_the_logarithm_of_people_and_clamps_outside_the_measured_shapes()
    {
        ScorePriorCell Cell(int people, double tail) =>
            new(people, 2, 1, 1000, tail - 0.2, 0.1, [.. ScorePrior.Rates.Select(_ => tail)], 10, 0.8, []);
        var prior = new ScorePrior("id", "m.onnx", "test", "test", 0, [], [Cell(2, 0.4), Cell(8, 0.6)], Now);
        Assert.Equal(0.5, prior.StrangerTail(4, 2, 1, 0.01), 9); // log 4 is halfway between log 2 and log 8
        Assert.Equal(0.4, prior.StrangerTail(1, 2, 1, 0.01), 9);
        Assert.Equal(0.6, prior.StrangerTail(100, 2, 1, 0.01), 9);
        Assert.Equal(0.5, prior.StrangerTail(4, 2, 8, 0.01), 9); // no evidence cells: single-photo ones
    }

    [Fact]
    public void A_damaged_prior_file_is_refused_with_its_name()
    {
        using var stream = new MemoryStream("{\"format\":\"facewatch-score-prior\",\"version\":1,\"cells\":[{\"people\":0}]}"u8.ToArray());
        var e = Assert.Throws<InvalidDataException>(() => ScorePrior.Read(stream, "/models/x.prior.json"));
        Assert.Contains("/models/x.prior.json", e.Message, StringComparison.Ordinal);
    }
}
