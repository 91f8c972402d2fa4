using System.Text;
using SgdDynamics.Data;

namespace SgdDynamics.Tests.Data;

public sealed class CharCorpusTests : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("char-corpus-");

    public void Dispose() => _temp.Delete(recursive: true);

    private static string SamplePath()
    {
        string? root = CharCorpusFiles.FindRepositoryRoot(AppContext.BaseDirectory);
        Assert.True(root is not null, "the repository root (Engine.sln) is not above the test binaries");
        return Path.Combine(root!, CharCorpusFiles.SampleRelativePath);
    }

    private string TempFile(string name, byte[] bytes)
    {
        string path = Path.Combine(_temp.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void ShippedSampleLoadsWithIndependentlyCountedAlphabetAndSamples()
    {
        string path = SamplePath();
        string[] lines = File.ReadAllLines(path);
        int characters = lines.Sum(l => l.Length);
        char[] distinct = [.. lines.SelectMany(l => l).Distinct().Order()];

        var corpus = CharCorpus.Load(path);

        Assert.Equal(2555, lines.Length);
        Assert.All(lines, l => Assert.Matches("^[a-z]+$", l));
        Assert.Equal(lines, corpus.Words);
        Assert.Equal(0, corpus.DroppedWords);
        Assert.Equal(["\n", .. distinct.Select(c => c.ToString())], corpus.Alphabet.Select(r => r.ToString()));
        Assert.Equal(26, corpus.Alphabet.Count - 1);
        Assert.Equal(characters, corpus.CharacterCount);
        Assert.Equal(characters + lines.Length, corpus.SampleCount);
        Assert.Equal(corpus.SampleCount, corpus.SymbolCounts.Sum());
        Assert.Equal(lines.Length, corpus.SymbolCounts[CharCorpus.BoundaryIndex]);
        Assert.Equal(lines.Sum(l => l.Count(c => c == 'q')), corpus.SymbolCounts[corpus.IndexOf(new Rune('q'))]);

        foreach (int c in new[] { 1, 3, 8 })
        {
            CharSamples samples = corpus.Samples(c);
            Assert.Equal(c, samples.ContextLength);
            Assert.Equal(characters + lines.Length, samples.Count);
            Assert.Equal((long)samples.Count * c, samples.Contexts.Length);
            Assert.Equal(corpus.Alphabet.Count, samples.AlphabetSize);
            Assert.All(samples.Contexts, i => Assert.InRange(i, 0, samples.AlphabetSize - 1));
        }
    }

    [Fact]
    public void SystemWordListLoadsWhenPresent()
    {
        if (!File.Exists(CharCorpusFiles.SystemWordList))
        {
            return; // Debian package wamerican not installed
        }

        string[] lines = File.ReadAllLines(CharCorpusFiles.SystemWordList).Where(l => l.Trim().Length > 0).ToArray();
        var corpus = CharCorpus.Load(CharCorpusFiles.SystemWordList, new CharCorpusOptions { LowerCase = true });
        Assert.Equal(lines.Length, corpus.Words.Count);
        Assert.Equal(lines.Sum(l => (long)l.Trim().EnumerateRunes().Count()) + lines.Length, corpus.SampleCount);
        Assert.Equal(corpus.SampleCount, corpus.Samples(3).Count);
        Assert.DoesNotContain(corpus.Alphabet, r => Rune.IsUpper(r));
    }

    [Fact]
    public void ContextsArePaddedAtWordStartsAndHoldThePreviousCharacters()
    {
        var corpus = CharCorpus.Load(SamplePath());
        const int c = 4;
        CharSamples samples = corpus.Samples(c);

        // Targets read back as the words, each ended by the boundary.
        Assert.Equal(string.Concat(corpus.Words.Select(w => w + "\n")), corpus.Decode(samples.Targets));

        int s = 0;
        foreach (string word in corpus.Words)
        {
            for (int t = 0; t <= word.Length; t++, s++)
            {
                string padded = new string('\n', c) + word[..t];
                Assert.Equal(padded[^c..], corpus.Decode(samples.Context(s)));
            }
        }

        Assert.Equal(samples.Count, s);
    }

    [Fact]
    public void SmallCorpusGivesTheExpectedSamples()
    {
        var corpus = CharCorpus.Parse("cat\nat\n", "inline");
        Assert.Equal(["\n", "a", "c", "t"], corpus.Alphabet.Select(r => r.ToString()));
        CharSamples samples = corpus.Samples(2);
        // cat: (∎∎→c) (∎c→a) (ca→t) (at→∎); at: (∎∎→a) (∎a→t) (at→∎)
        Assert.Equal([2, 1, 3, 0, 1, 3, 0], samples.Targets);
        Assert.Equal([0, 0, 0, 2, 2, 1, 1, 3, 0, 0, 0, 1, 1, 3], samples.Contexts);
        Assert.Equal([2L, 2, 1, 2], corpus.SymbolCounts);
    }

    [Fact]
    public void DecodeAndEncodeRoundTrip()
    {
        var corpus = CharCorpus.Load(SamplePath());
        int[] all = [.. Enumerable.Range(0, corpus.Alphabet.Count)];
        Assert.Equal(all, corpus.Encode(corpus.Decode(all)));
        string text = "zebra\nquartz\n";
        Assert.Equal(text, corpus.Decode(corpus.Encode(text)));
        foreach (string word in corpus.Words.Take(50))
        {
            Assert.Equal(word, corpus.Decode(corpus.Encode(word)));
        }

        Assert.Equal(-1, corpus.IndexOf(new Rune('A')));
        Assert.Throws<ArgumentException>(() => corpus.Encode("Zebra"));
        Assert.Throws<ArgumentOutOfRangeException>(() => corpus.Decode([corpus.Alphabet.Count]));
        Assert.Throws<ArgumentOutOfRangeException>(() => corpus.Decode([-1]));
    }

    [Fact]
    public void NormalisationTrimsLinesSkipsBlanksAndLowerCasesInvariantly()
    {
        string text = "\uFEFF Cat \r\n\r\n\tDOG\r\nIstanbul\n  \nice cream\n";
        var kept = CharCorpus.Parse(text, "inline");
        Assert.Equal(["\uFEFF Cat".Trim(), "DOG", "Istanbul", "ice cream"], kept.Words);

        var lower = CharCorpus.Parse("Cat\r\nDOG\r\nIstanbul\n", "inline", new CharCorpusOptions { LowerCase = true });
        Assert.Equal(["cat", "dog", "istanbul"], lower.Words);
        Assert.DoesNotContain(lower.Alphabet, r => r.Value == 'ı');

        // A character outside the Basic Multilingual Plane is one symbol.
        var wide = CharCorpus.Parse("a\U0001F600b\n", "inline");
        Assert.Equal(4, wide.Alphabet.Count);
        Assert.Equal(4, wide.SampleCount);
        Assert.Equal("a\U0001F600b\n", wide.Decode(wide.Samples(1).Targets));
    }

    [Fact]
    public void RareCharactersDropTheirWords()
    {
        var corpus = CharCorpus.Parse("aa\nab\nq\nba\n", "inline", new CharCorpusOptions { MinCharCount = 2 });
        Assert.Equal(["aa", "ab", "ba"], corpus.Words);
        Assert.Equal(1, corpus.DroppedWords);
        Assert.Equal(["\n", "a", "b"], corpus.Alphabet.Select(r => r.ToString()));

        var strict = CharCorpus.Parse("aa\nab\nq\n", "inline", new CharCorpusOptions { MinCharCount = 2 });
        Assert.Equal(["aa"], strict.Words);
        Assert.Equal(2, strict.DroppedWords);
        Assert.Equal(["\n", "a"], strict.Alphabet.Select(r => r.ToString()));

        var none = Assert.Throws<CharCorpusException>(
            () => CharCorpus.Parse("ab\ncd\n", "tiny", new CharCorpusOptions { MinCharCount = 2 }));
        Assert.Contains("tiny", none.Message);
    }

    [Fact]
    public void BadFilesAreRefusedWithTheirName()
    {
        string missing = Path.Combine(_temp.FullName, "missing.txt");
        var e = Assert.Throws<CharCorpusException>(() => CharCorpus.Load(missing));
        Assert.Contains(missing, e.Message);
        Assert.Contains("does not exist", e.Message);

        e = Assert.Throws<CharCorpusException>(() => CharCorpus.Load(_temp.FullName));
        Assert.Contains("directory", e.Message);

        string empty = TempFile("empty.txt", []);
        e = Assert.Throws<CharCorpusException>(() => CharCorpus.Load(empty));
        Assert.Contains(empty, e.Message);
        Assert.Contains("empty", e.Message);

        string blank = TempFile("blank.txt", Encoding.UTF8.GetBytes("\n  \r\n\t\n"));
        e = Assert.Throws<CharCorpusException>(() => CharCorpus.Load(blank));
        Assert.Contains(blank, e.Message);
        Assert.Contains("no words", e.Message);

        string large = TempFile("large.txt", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("word\n", 100))));
        e = Assert.Throws<CharCorpusException>(() => CharCorpus.Load(large, new CharCorpusOptions { MaxBytes = 256 }));
        Assert.Contains(large, e.Message);
        Assert.Contains("larger than 256 bytes", e.Message);
        Assert.Equal(100, CharCorpus.Load(large, new CharCorpusOptions { MaxBytes = 500 }).Words.Count);

        string invalid = TempFile("invalid.txt", [(byte)'a', (byte)'\n', 0xC3, 0x28, (byte)'\n']);
        e = Assert.Throws<CharCorpusException>(() => CharCorpus.Load(invalid));
        Assert.Contains(invalid, e.Message);
        Assert.Contains("not UTF-8", e.Message);

        Assert.Throws<ArgumentOutOfRangeException>(() => CharCorpus.Load(large, new CharCorpusOptions { MinCharCount = 0 }));
        var corpus = CharCorpus.Parse("ab\n", "inline");
        Assert.Throws<ArgumentOutOfRangeException>(() => corpus.Samples(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => corpus.Samples(CharCorpus.MaxContextLength + 1));
    }

    [Fact]
    public void SameFileGivesTheSameSamples()
    {
        string path = SamplePath();
        string copy = TempFile("copy.txt", Encoding.UTF8.GetBytes(File.ReadAllText(path).Replace("\n", "\r\n")));
        var a = CharCorpus.Load(path);
        var b = CharCorpus.Load(path);
        var crlf = CharCorpus.Load(copy);
        foreach (var other in new[] { b, crlf })
        {
            Assert.Equal(a.Sha256, other.Sha256);
            Assert.Equal(a.Alphabet, other.Alphabet);
            Assert.Equal(a.Samples(5).Contexts, other.Samples(5).Contexts);
            Assert.Equal(a.Samples(5).Targets, other.Samples(5).Targets);
        }

        Assert.Matches("^[0-9a-f]{64}$", a.Sha256);
        Assert.NotEqual(a.Sha256, CharCorpus.Parse("other\n", "inline").Sha256);
    }

    [Fact]
    public void ExampleCorpusIsTheSystemListWhenPresentElseTheShippedSample()
    {
        string here = AppContext.BaseDirectory;
        string absent = Path.Combine(_temp.FullName, "no-such-dict");
        Assert.Equal(Path.GetFullPath(SamplePath()), Path.GetFullPath(CharCorpusFiles.Example(here, absent)));

        string present = TempFile("american-english", Encoding.UTF8.GetBytes("word\n"));
        Assert.Equal(present, CharCorpusFiles.Example(here, present));

        var e = Assert.Throws<CharCorpusException>(() => CharCorpusFiles.Example(_temp.FullName, absent));
        Assert.Contains(absent, e.Message);

        Assert.Equal(Path.Combine(_temp.FullName, "w.txt"), CharCorpusFiles.Resolve("w.txt", _temp.FullName));
        Assert.Equal(present, CharCorpusFiles.Resolve(present));
        Assert.True(File.Exists(CharCorpusFiles.Resolve(null)));
    }
}
