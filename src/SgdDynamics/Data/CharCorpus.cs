using System.Security.Cryptography;
using System.Text;

namespace SgdDynamics.Data;

/// <summary>A corpus file that cannot be used (missing, unreadable, empty, too large, not UTF-8, no words left, too many
/// samples); the message names the file.</summary>
public sealed class CharCorpusException(string message, Exception? innerException = null) : IOException(message, innerException);

/// <summary>How <see cref="CharCorpus"/> reads and normalises a word list.</summary>
public sealed record CharCorpusOptions
{
    /// <summary>The default <see cref="MaxBytes"/>: 16 MiB (Debian's <c>american-english</c> is about 1 MB).</summary>
    public const long DefaultMaxBytes = 16L << 20;

    /// <summary>Lower-case every character with the invariant culture's simple case mapping (<see cref="Rune.ToLowerInvariant"/>),
    /// so that the result does not depend on the current culture. Default false: characters are kept as they are.</summary>
    public bool LowerCase { get; init; }

    /// <summary>The fewest occurrences (counted over all words of the file, after lower-casing) a character needs to be in
    /// the alphabet; a word holding a rarer character is dropped whole (see <see cref="CharCorpus.DroppedWords"/>). At least 1;
    /// default 1 (every word kept).</summary>
    public int MinCharCount { get; init; } = 1;

    /// <summary>The largest file read, in bytes; larger files are refused. Default <see cref="DefaultMaxBytes"/>.</summary>
    public long MaxBytes { get; init; } = DefaultMaxBytes;

    /// <summary>How long reading the file may take before it is given up (a pipe or device with no end). Default 60 s.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// A word list read for a character-level language model: the words, the alphabet, and for a context length c the
/// samples (the indices of the previous c characters, the index of the next one).
/// </summary>
/// <remarks>
/// <para>Reading: the file is decoded strictly as UTF-8 (an optional byte order mark skipped; UTF-16/32 only with their byte
/// order mark; invalid bytes are an error, not replaced), at most <see cref="CharCorpusOptions.MaxBytes"/> bytes.</para>
/// <para>Normalisation, in this order: the text is split into lines at <c>'\n'</c>, <c>"\r\n"</c>, <c>'\r'</c> and the other
/// line separators of <see cref="MemoryExtensions.EnumerateLines(ReadOnlySpan{char})"/> (form feed, U+0085, U+2028, U+2029);
/// each line is trimmed of white space at both ends (<see cref="char.IsWhiteSpace(char)"/>); blank lines are skipped;
/// each remaining line is one word, kept in file order with duplicates (white space inside a line stays part of the word);
/// with <see cref="CharCorpusOptions.LowerCase"/> its characters are lower-cased by the invariant culture's rules; words
/// holding a character that occurs fewer than <see cref="CharCorpusOptions.MinCharCount"/> times in the whole list are
/// dropped. No Unicode normalisation is done: a precomposed and a decomposed accent are different characters. A character
/// is a Unicode scalar value (a <see cref="Rune"/>), so characters outside the Basic Multilingual Plane are one symbol.</para>
/// <para>Alphabet: index <see cref="BoundaryIndex"/> (0) is the word boundary, shown as <see cref="Boundary"/> (<c>'\n'</c>,
/// which never occurs inside a word); indices 1 … are the distinct characters of the kept words in ascending order of
/// their scalar values (ordinal, independent of culture). The boundary is both the start padding and the end of a word.</para>
/// <para>Samples: a word w₁ … w_L gives L + 1 samples, one per position t = 1 … L + 1, with target w_t (the boundary for
/// t = L + 1) and context (w_{t−c}, …, w_{t−1}), a position before the word's start being the boundary. Contexts never
/// reach into the previous word, so n = (total characters of the kept words) + (number of kept words), whatever c.
/// Everything is deterministic: the same file and options give the same words, alphabet and samples on every machine.</para>
/// </remarks>
public sealed class CharCorpus
{
    /// <summary>The index of the word boundary (start padding and end of word) in the alphabet: 0.</summary>
    public const int BoundaryIndex = 0;

    /// <summary>The character that stands for the word boundary in <see cref="Alphabet"/>, <see cref="Decode"/> and
    /// <see cref="Encode"/>: <c>'\n'</c>.</summary>
    public const char Boundary = '\n';

    /// <summary>The longest context <see cref="Samples"/> builds: 256 characters.</summary>
    public const int MaxContextLength = 256;

    private readonly Dictionary<int, int> _index;
    private readonly int[][] _encoded;

    private CharCorpus(string source, string[] words, int[][] encoded, Rune[] alphabet, long[] counts, int dropped, string sha256,
        Dictionary<int, int> index)
    {
        Source = source;
        Words = words;
        _encoded = encoded;
        Alphabet = alphabet;
        SymbolCounts = counts;
        DroppedWords = dropped;
        Sha256 = sha256;
        _index = index;
        long characters = 0;
        foreach (int[] word in encoded)
        {
            characters += word.Length;
        }

        CharacterCount = characters;
    }

    /// <summary>Where the corpus came from: the full path of the file for <see cref="Load"/>, the given name for <see cref="Parse"/>.</summary>
    public string Source { get; }

    /// <summary>The kept words after normalisation, in file order, duplicates included.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>The symbols: <see cref="Boundary"/> at index 0, then the distinct characters of the kept words in ascending
    /// order of their scalar values.</summary>
    public IReadOnlyList<Rune> Alphabet { get; }

    /// <summary>How often each symbol of <see cref="Alphabet"/> is a sample's target: its occurrences in the kept words, and
    /// for the boundary the number of kept words. The counts add up to <see cref="SampleCount"/>.</summary>
    public IReadOnlyList<long> SymbolCounts { get; }

    /// <summary>How many words were dropped because they hold a character rarer than <see cref="CharCorpusOptions.MinCharCount"/>.</summary>
    public int DroppedWords { get; }

    /// <summary>The number of characters in the kept words (boundaries not counted).</summary>
    public long CharacterCount { get; }

    /// <summary>The number of samples for any context length: <see cref="CharacterCount"/> plus the number of kept words.</summary>
    public long SampleCount => CharacterCount + Words.Count;

    /// <summary>The SHA-256 (lower-case hex) of the normalised corpus, the UTF-8 of each kept word followed by <c>'\n'</c>:
    /// equal for two corpora exactly when they give the same samples.</summary>
    public string Sha256 { get; }

    /// <summary>Reads and normalises the word list at <paramref name="path"/> (see the remarks on <see cref="CharCorpus"/>).</summary>
    /// <exception cref="CharCorpusException">The file is missing, cannot be read, is empty, larger than
    /// <see cref="CharCorpusOptions.MaxBytes"/>, not valid UTF-8 (or UTF-16/32 with a byte order mark), too slow to read,
    /// or holds no word after normalisation; the message names the file.</exception>
    public static CharCorpus Load(string path, CharCorpusOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new CharCorpusOptions();
        Validate(options);
        string full = Path.GetFullPath(path);
        string what = $"corpus file {full}";
        if (Directory.Exists(full))
        {
            throw new CharCorpusException($"{what} is a directory, not a file");
        }

        if (!File.Exists(full))
        {
            throw new CharCorpusException($"{what} does not exist");
        }

        string text;
        try
        {
            text = BoundedFile.ReadAllText(full, options.MaxBytes, options.ReadTimeout);
        }
        catch (BoundedReadException e)
        {
            throw new CharCorpusException($"{what} {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CharCorpusException($"{what} cannot be read ({e.Message})", e);
        }

        if (text.Length == 0)
        {
            throw new CharCorpusException($"{what} is empty");
        }

        return Build(text, full, what, options);
    }

    /// <summary>Normalises corpus text that is already in memory, as <see cref="Load"/> does a file's;
    /// <paramref name="source"/> names it in errors and in <see cref="Source"/>.</summary>
    /// <exception cref="CharCorpusException">The text is empty, holds an unpaired surrogate, or holds no word after
    /// normalisation.</exception>
    public static CharCorpus Parse(string text, string source, CharCorpusOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(source);
        options ??= new CharCorpusOptions();
        Validate(options);
        string what = $"corpus {source}";
        if (text.Length == 0)
        {
            throw new CharCorpusException($"{what} is empty");
        }

        return Build(text, source, what, options);
    }

    /// <summary>The index of <paramref name="symbol"/> in <see cref="Alphabet"/> (<see cref="BoundaryIndex"/> for
    /// <see cref="Boundary"/>), or −1 when it is not there.</summary>
    public int IndexOf(Rune symbol) => _index.TryGetValue(symbol.Value, out int i) ? i : -1;

    /// <summary>The text of a sequence of symbol indices, <see cref="Boundary"/> (<c>'\n'</c>) for the boundary: a
    /// context row, the targets of some samples, or a generated sequence.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside the alphabet.</exception>
    public string Decode(ReadOnlySpan<int> indices)
    {
        var text = new StringBuilder(indices.Length);
        foreach (int i in indices)
        {
            if ((uint)i >= (uint)Alphabet.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), i, $"not a symbol index (the alphabet has {Alphabet.Count} symbols)");
            }

            text.Append(Alphabet[i].ToString());
        }

        return text.ToString();
    }

    /// <summary>The symbol indices of <paramref name="text"/> taken exactly as it is (no trimming or lower-casing),
    /// <c>'\n'</c> being the boundary; the inverse of <see cref="Decode"/>.</summary>
    /// <exception cref="ArgumentException">The text holds a character outside the alphabet or an unpaired surrogate.</exception>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var indices = new List<int>(text.Length);
        for (int at = 0; at < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(at), out Rune rune, out int used) != System.Buffers.OperationStatus.Done)
            {
                throw new ArgumentException($"unpaired surrogate at position {at}", nameof(text));
            }

            int i = IndexOf(rune);
            if (i < 0)
            {
                throw new ArgumentException($"character U+{rune.Value:X4} at position {at} is not in the alphabet", nameof(text));
            }

            indices.Add(i);
            at += used;
        }

        return [.. indices];
    }

    /// <summary>The samples for context length <paramref name="contextLength"/> (see the remarks on <see cref="CharCorpus"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="contextLength"/> is not in 1 … <see cref="MaxContextLength"/>.</exception>
    /// <exception cref="CharCorpusException">The contexts would not fit one array (more than <see cref="Array.MaxLength"/> indices).</exception>
    public CharSamples Samples(int contextLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(contextLength, MaxContextLength);
        long n = SampleCount;
        if (n * contextLength > Array.MaxLength)
        {
            throw new CharCorpusException(FormattableString.Invariant(
                $"corpus {Source} has {n} samples: their contexts of {contextLength} characters exceed {Array.MaxLength} indices (use a shorter context or a smaller corpus)"));
        }

        int c = contextLength;
        var contexts = new int[n * c];
        var targets = new int[n];
        int s = 0;
        foreach (int[] word in _encoded)
        {
            for (int t = 0; t <= word.Length; t++, s++)
            {
                targets[s] = t < word.Length ? word[t] : BoundaryIndex;
                Span<int> row = contexts.AsSpan(s * c, c);
                for (int j = 0; j < c; j++)
                {
                    int p = t - c + j;
                    row[j] = p < 0 ? BoundaryIndex : word[p];
                }
            }
        }

        return new CharSamples(c, Alphabet.Count, contexts, targets);
    }

    private static void Validate(CharCorpusOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MinCharCount, 1, nameof(options.MinCharCount));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBytes, 1, nameof(options.MaxBytes));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.ReadTimeout, TimeSpan.Zero, nameof(options.ReadTimeout));
    }

    private static CharCorpus Build(string text, string source, string what, CharCorpusOptions options)
    {
        // Words as scalar values, lower-cased when asked; counts over all of them.
        var words = new List<int[]>();
        var counts = new Dictionary<int, long>();
        int lineNumber = 0;
        var runes = new List<int>();
        foreach (ReadOnlySpan<char> rawLine in text.AsSpan().EnumerateLines())
        {
            lineNumber++;
            ReadOnlySpan<char> line = rawLine.Trim();
            if (line.IsEmpty)
            {
                continue;
            }

            runes.Clear();
            for (int at = 0; at < line.Length;)
            {
                if (Rune.DecodeFromUtf16(line[at..], out Rune rune, out int used) != System.Buffers.OperationStatus.Done)
                {
                    throw new CharCorpusException($"{what} holds an unpaired surrogate on line {lineNumber}");
                }

                if (options.LowerCase)
                {
                    rune = Rune.ToLowerInvariant(rune);
                }

                runes.Add(rune.Value);
                counts[rune.Value] = counts.GetValueOrDefault(rune.Value) + 1;
                at += used;
            }

            words.Add([.. runes]);
        }

        if (words.Count == 0)
        {
            throw new CharCorpusException($"{what} holds no words (only blank lines)");
        }

        // Drop the words with a rare character; the alphabet is what the kept words use.
        var kept = new List<int[]>(words.Count);
        var keptCounts = new Dictionary<int, long>();
        foreach (int[] word in words)
        {
            if (Array.TrueForAll(word, r => counts[r] >= options.MinCharCount))
            {
                kept.Add(word);
                foreach (int r in word)
                {
                    keptCounts[r] = keptCounts.GetValueOrDefault(r) + 1;
                }
            }
        }

        if (kept.Count == 0)
        {
            throw new CharCorpusException(FormattableString.Invariant(
                $"{what} holds no word whose characters all occur at least {options.MinCharCount} times"));
        }

        int[] symbols = [.. keptCounts.Keys.Order()];
        var alphabet = new Rune[symbols.Length + 1];
        var symbolCounts = new long[symbols.Length + 1];
        var index = new Dictionary<int, int>(symbols.Length + 1) { [Boundary] = BoundaryIndex };
        alphabet[BoundaryIndex] = new Rune(Boundary);
        symbolCounts[BoundaryIndex] = kept.Count;
        for (int i = 0; i < symbols.Length; i++)
        {
            alphabet[i + 1] = new Rune(symbols[i]);
            symbolCounts[i + 1] = keptCounts[symbols[i]];
            index[symbols[i]] = i + 1;
        }

        var strings = new string[kept.Count];
        var encoded = new int[kept.Count][];
        var builder = new StringBuilder();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (int w = 0; w < kept.Count; w++)
        {
            builder.Clear();
            encoded[w] = new int[kept[w].Length];
            for (int k = 0; k < kept[w].Length; k++)
            {
                builder.Append(new Rune(kept[w][k]).ToString());
                encoded[w][k] = index[kept[w][k]];
            }

            strings[w] = builder.ToString();
            hash.AppendData(Encoding.UTF8.GetBytes(strings[w] + Boundary));
        }

        string sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
        return new CharCorpus(source, strings, encoded, alphabet, symbolCounts, words.Count - kept.Count, sha256, index);
    }
}

/// <summary>
/// The samples of a <see cref="CharCorpus"/> for one context length c, as flat arrays for kernels to gather: sample i's
/// context is <c>Contexts[i·c … i·c + c − 1]</c>, oldest character first (the last entry is the character just before the
/// target), and its target is <c>Targets[i]</c>; all entries are indices into the corpus's alphabet (0 the boundary).
/// The arrays are the corpus's samples themselves, not copies: do not change them.
/// </summary>
public sealed class CharSamples
{
    internal CharSamples(int contextLength, int alphabetSize, int[] contexts, int[] targets)
    {
        ContextLength = contextLength;
        AlphabetSize = alphabetSize;
        Contexts = contexts;
        Targets = targets;
    }

    /// <summary>The context length c.</summary>
    public int ContextLength { get; }

    /// <summary>The number of symbols (the boundary included); every index is below it.</summary>
    public int AlphabetSize { get; }

    /// <summary>The number of samples n.</summary>
    public int Count => Targets.Length;

    /// <summary>The contexts, n × c symbol indices, row-major, oldest character first.</summary>
    public int[] Contexts { get; }

    /// <summary>The targets, n symbol indices.</summary>
    public int[] Targets { get; }

    /// <summary>Sample <paramref name="i"/>'s context, c symbol indices, oldest first.</summary>
    public ReadOnlySpan<int> Context(int i)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(i);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, Count);
        return Contexts.AsSpan(i * ContextLength, ContextLength);
    }
}
