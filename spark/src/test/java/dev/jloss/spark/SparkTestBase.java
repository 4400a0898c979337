package dev.jloss.spark;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/** One local[2] SparkSession per test class. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SparkTestBase {
    SparkSession spark;

    @BeforeAll
    void startSpark() {
        spark = SparkSession.builder().master("local[2]").appName(getClass().getSimpleName())
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.host", "127.0.0.1").getOrCreate();
        spark.sparkContext().setLogLevel("ERROR");
    }

    @AfterAll
    void stopSpark() {
        spark.stop();
    }
}
