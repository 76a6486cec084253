using FaceWatch.Pipeline.Identification;

using FaceWatch.Pipeline.Embedding;
namespace FaceWatch.Tests.Pipeline.Identification;

public sealed class GalleryTests : IDisposable
{
    private static readonly EmbeddingModelIdentity Model = new(new string('a', 64), "test.onnx", 112, 16);
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("facewatch-gallery-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static List<EnrolledPerson> People(int k, int perPerson, double noise = 0.5, int seed = 2)
    {
        var (x, y) = SvmClassifierTests.Clusters(k, perPerson, 16, noise, seed);
        return Enumerable.Range(0, k)
            .Select(c => new EnrolledPerson($"p{c}", x.Where((_, i) => y[i] == c).Select((v, i) => new EnrolledFace($"p{c}/{i}.jpg", v)).ToArray()))
            .ToList();
    }

    [Fact]
    public void Saved_gallery_loads_back_with_identical_answers()
    {
        var gallery = Gallery.Create(Model, People(4, 12), Now);
        var path = Path.Combine(_dir, "g.json");
        GalleryStore.Save(gallery, path);
        var loaded = GalleryStore.Load(path, Model);

        Assert.Equal(gallery.People.Select(p => p.Name), loaded.People.Select(p => p.Name));
        Assert.Equal(gallery.Thresholds, loaded.Thresholds);
        var a = new Identifier(gallery);
        var b = new Identifier(loaded);
        foreach (var face in gallery.People.SelectMany(p => p.Faces))
        {
            Assert.Equal(a.Identify(face.Embedding), b.Identify(face.Embedding));
        }
    }

    [Fact]
    public void Negative_faces_are_saved_kept_across_retraining_and_dropped_with_their_person()
    {
        var people = People(4, 8);
        var gallery = Gallery.Create(Model, people.Take(3), Now)
            .WithNegatives([new NegativeFace("p1", "event:abc", people[3].Faces[0].Embedding), new NegativeFace(null, "stranger:s1", people[3].Faces[1].Embedding)], Now);
        var path = Path.Combine(_dir, "neg.json");
        GalleryStore.Save(gallery, path);
        var loaded = GalleryStore.Load(path, Model);
        Assert.Equal([("p1", "event:abc"), (null, "stranger:s1")], loaded.Negatives.Select(n => (n.Person, n.Source)));
        Assert.Equal(people[3].Faces[0].Embedding, loaded.Negatives[0].Embedding);

        Assert.Equal(2, loaded.WithFaces("p0", people[0].Faces.Take(1), Now).Negatives.Count); // retraining keeps them
        Assert.Equal([null], loaded.Without("p1", Now).Negatives.Select(n => n.Person)); // p1's goes with p1
        Assert.Single(loaded.WithoutNegatives(n => n.Source == "stranger:s1", Now).Negatives);
        Assert.Throws<ArgumentException>(() => loaded.WithNegatives([new NegativeFace("nobody", "event:x", people[3].Faces[2].Embedding)], Now));

        GalleryStore.Save(Gallery.Create(Model, people.Take(3), Now), path);
        Assert.DoesNotContain("negatives", File.ReadAllText(path), StringComparison.Ordinal); // no field when there are none
    }

    [Fact]
    public void A_version_1_gallery_file_is_recalibrated_when_loaded_and_keeps_its_people()
    {
        var gallery = Gallery.Create(Model, People(4, 12), Now);
        var path = Path.Combine(_dir, "old.json");
        GalleryStore.Save(gallery, path);
        // What FaceWatch 0.2 wrote: version 1, thresholds of the probability-and-similarity rule.
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        json["version"] = 1;
        json["thresholds"] = System.Text.Json.Nodes.JsonNode.Parse("""{"probability": 0.3, "similarity": 0.61, "method": "calibrated: ..."}""");
        File.WriteAllText(path, json.ToJsonString());

        var loaded = GalleryStore.Load(path, Model);
        Assert.StartsWith("recalibrated from a version-1 gallery file: ", loaded.Thresholds.Method, StringComparison.Ordinal);
        Assert.Equal(gallery.Thresholds.Score, loaded.Thresholds.Score);
        Assert.Equal(gallery.People.Select(p => p.Faces.Count), loaded.People.Select(p => p.Faces.Count));
        Assert.Equal(1, System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!["version"]!.GetValue<int>()); // loading never rewrites the file
    }

    [Fact]
    public void Enrolled_faces_are_known_and_a_far_vector_is_unknown()
    {
        var people = People(4, 12, noise: 0.3);
        var identifier = new Identifier(Gallery.Create(Model, people, Now));
        foreach (var p in people)
        {
            var match = identifier.Identify(p.Faces[0].Embedding);
            Assert.True(match.Known);
            Assert.Equal(p.Name, match.Name);
        }

        // A direction unrelated to every person.
        var (stranger, _) = SvmClassifierTests.Clusters(1, 1, 16, 0.0, seed: 99);
        var m = identifier.Identify(stranger[0]);
        Assert.False(m.Known);
        Assert.Equal(IdentityMatch.Unknown, m.Name);
        Assert.NotNull(m.Candidate);
    }

    [Fact]
    public void One_person_gallery_uses_the_similarity_rule_alone()
    {
        var people = People(2, 6, noise: 0.3);
        var gallery = Gallery.Create(Model, people.Take(1), Now);
        Assert.Null(gallery.Classifier);
        Assert.StartsWith("no prior for this embedding model", gallery.Thresholds.Method, StringComparison.Ordinal);
        Assert.Contains("default score, 1 person", gallery.Thresholds.Method, StringComparison.Ordinal);
        var identifier = new Identifier(gallery);
        Assert.Equal("p0", identifier.Identify(people[0].Faces[1].Embedding).Name);
        Assert.False(identifier.Identify(people[1].Faces[0].Embedding).Known);
    }

    [Fact]
    public void Adding_and_removing_people_retrains_without_touching_other_embeddings()
    {
        var people = People(4, 8);
        var gallery = Gallery.Create(Model, people.Take(3), Now);
        var added = gallery.WithFaces("p3", people[3].Faces, Now);
        Assert.Equal(4, added.People.Count);
        Assert.Same(gallery.People[0].Faces[0].Embedding, added.People[0].Faces[0].Embedding);
        Assert.Equal("p3", new Identifier(added).Identify(people[3].Faces[0].Embedding).Name);

        var removed = added.Without("p1", Now);
        Assert.Equal(["p0", "p2", "p3"], removed.People.Select(p => p.Name));
        var ex = Assert.Throws<KeyNotFoundException>(() => removed.Without("nobody", Now));
        Assert.Contains("'nobody' is not in the gallery", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gallery_from_another_model_is_refused_naming_both_models()
    {
        var path = Path.Combine(_dir, "g.json");
        GalleryStore.Save(Gallery.Create(Model, People(3, 4), Now), path);
        var other = new EmbeddingModelIdentity(new string('b', 64), "facenet.onnx", 160, 16);
        var ex = Assert.Throws<GalleryModelMismatchException>(() => GalleryStore.Load(path, other));
        Assert.Contains("test.onnx", ex.Message, StringComparison.Ordinal);
        Assert.Contains("facenet.onnx", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Damaged_or_missing_gallery_files_give_clear_errors()
    {
        var path = Path.Combine(_dir, "g.json");
        var missing = Assert.Throws<FileNotFoundException>(() => GalleryStore.Load(path));
        Assert.Contains("facewatch enroll", missing.Message, StringComparison.Ordinal);

        File.WriteAllText(path, "{\"format\": \"facewatch-gallery\", \"people\": [");
        var torn = Assert.Throws<InvalidDataException>(() => GalleryStore.Load(path));
        Assert.Contains(path, torn.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_save_interrupted_before_the_rename_leaves_the_old_gallery_intact()
    {
        var path = Path.Combine(_dir, "g.json");
        var old = Gallery.Create(Model, People(3, 5), Now);
        GalleryStore.Save(old, path);
        var before = File.ReadAllBytes(path);

        var bigger = Gallery.Create(Model, People(5, 5), Now);
        Assert.Throws<IOException>(() => GalleryStore.Save(bigger, path, afterTempWritten: temp =>
        {
            Assert.True(File.Exists(temp));
            Assert.Equal(Path.GetDirectoryName(Path.GetFullPath(path)), Path.GetDirectoryName(temp));
            throw new IOException("simulated crash");
        }));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(3, GalleryStore.Load(path, Model).People.Count);
        Assert.Single(Directory.GetFiles(_dir)); // no temp file left behind
    }
}

public sealed class GalleryEditTests : IDisposable
{
    private static readonly FaceWatch.Pipeline.Embedding.EmbeddingModelIdentity Model = new(new string('a', 64), "test.onnx", 112, 16);
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("facewatch-gallery-edit-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task An_edit_reads_the_file_as_it_is_saves_it_and_is_live_at_once_and_a_failed_edit_changes_nothing()
    {
        var (x, y) = SvmClassifierTests.Clusters(3, 6, 16, 0.5, 2);
        var people = Enumerable.Range(0, 3)
            .Select(c => new EnrolledPerson($"p{c}", x.Where((_, i) => y[i] == c).Select((v, i) => new EnrolledFace($"p{c}/{i}.jpg", v)).ToArray()))
            .ToList();
        var path = Path.Combine(_dir, "g.json");
        GalleryStore.Save(Gallery.Create(Model, people.Take(2), Now), path);
        using var watcher = new FaceWatch.Pipeline.Workers.GalleryWatcher(path, Model, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        watcher.Load();
        GalleryStore.Save(Gallery.Create(Model, people.Take(2), Now).WithFaces("p2", people[2].Faces, Now), path); // an enroll meanwhile

        await watcher.EditAsync(g => g.WithNegatives([new NegativeFace("p0", "event:e1", people[2].Faces[0].Embedding)], Now), CancellationToken.None);
        Assert.Equal(["p0", "p1", "p2"], watcher.Names); // live without waiting for the poll, and the enroll was kept
        Assert.Single(GalleryStore.Load(path, Model).Negatives);

        var before = File.ReadAllBytes(path);
        await Assert.ThrowsAsync<ArgumentException>(() => watcher.EditAsync(g => g.WithNegatives([new NegativeFace("nobody", "event:e2", people[2].Faces[1].Embedding)], Now), CancellationToken.None));
        Assert.Equal(before, File.ReadAllBytes(path));

        using var demo = new FaceWatch.Pipeline.Workers.GalleryWatcher(null, Model, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => demo.EditAsync(g => g, CancellationToken.None));
        Assert.Contains("Gallery:Path", e.Message, StringComparison.Ordinal);
    }
}
