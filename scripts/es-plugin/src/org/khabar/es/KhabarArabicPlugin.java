package org.khabar.es;

import java.util.Map;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.ar.ArabicAnalyzer;
import org.apache.lucene.analysis.ar.ArabicNormalizationFilter;
import org.apache.lucene.analysis.ar.ArabicStemFilter;
import org.elasticsearch.index.analysis.AbstractIndexAnalyzerProvider;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.index.analysis.NormalizingTokenFilterFactory;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

/**
 * Registers the Arabic analysis components that stock Elasticsearch ships in its
 * analysis-common module, which the integ-test distribution used in CI leaves out.
 *
 * Why: Khabar's Elasticsearch mapping uses the built-in {@code arabic} analyser (present
 * natively in the official Docker image). Registering the same names from the same Lucene
 * classes lets one mapping serve both the CI server and production. Nothing here is
 * Khabar-specific logic; it only wires Lucene's classes under Elasticsearch's names.
 */
public class KhabarArabicPlugin extends Plugin implements AnalysisPlugin {

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of(
            "arabic_normalization", (indexSettings, env, name, settings) -> new NormalizationFactory(name),
            "arabic_stem", (indexSettings, env, name, settings) -> new StemFactory(name)
        );
    }

    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
        return Map.of("arabic", (indexSettings, env, name, settings) -> {
            // Same settings as the stock analyser: `stopwords` (default: Lucene's Arabic list)
            // and `stem_exclusion`.
            ArabicAnalyzer analyzer = new ArabicAnalyzer(
                Analysis.parseStopWords(env, settings, ArabicAnalyzer.getDefaultStopSet()),
                Analysis.parseStemExclusion(settings, org.apache.lucene.analysis.CharArraySet.EMPTY_SET)
            );
            return new ArabicProvider(name, analyzer);
        });
    }

    static final class ArabicProvider extends AbstractIndexAnalyzerProvider<ArabicAnalyzer> {
        private final ArabicAnalyzer analyzer;

        ArabicProvider(String name, ArabicAnalyzer analyzer) {
            super(name);
            this.analyzer = analyzer;
        }

        @Override
        public ArabicAnalyzer get() {
            return analyzer;
        }
    }

    static final class NormalizationFactory extends AbstractTokenFilterFactory implements NormalizingTokenFilterFactory {
        NormalizationFactory(String name) {
            super(name);
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            return new ArabicNormalizationFilter(tokenStream);
        }
    }

    static final class StemFactory extends AbstractTokenFilterFactory {
        StemFactory(String name) {
            super(name);
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            return new ArabicStemFilter(tokenStream);
        }
    }
}
